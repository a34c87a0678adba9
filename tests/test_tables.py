"""_utils.tables.format_table: the demo's and the benchmark's one table printer."""

from skscratch._utils.tables import format_table


def test_numbers_right_aligned_text_left_aligned():
    text = format_table(["name", "seconds"], [["a", "1.5"], ["longer", "-12.25"]])
    assert text.splitlines() == [
        "name    seconds",
        "------  -------",
        "a           1.5",
        "longer   -12.25",
    ]


def test_a_column_with_any_text_cell_is_left_aligned():
    lines = format_table(["x"], [["1"], ["n/a"], ["22"]]).splitlines()
    assert lines[2:] == ["1", "n/a", "22"]


def test_cells_are_made_strings_and_lines_carry_no_trailing_blanks():
    lines = format_table(["a", "b"], [[1, ""], [None, 2.5]]).splitlines()
    assert lines[2:] == ["1", "None  2.5"]  # "None" is text: column a is left-aligned
    assert all(line == line.rstrip() for line in lines)
