"""Plain-text tables, for the demo (``python -m skscratch``) and the benchmarks."""


def format_table(header, rows):
    """Rows of strings as aligned columns, with a rule under the header.

    A column whose every cell below the header looks like a number (starts with
    a digit, ``-`` or ``.``) is right-aligned; any other column is left-aligned.

    Parameters
    ----------
    header : sequence of str
    rows : sequence of sequence of str

    Returns
    -------
    text : str
        The lines of the table, joined by newlines.

    Examples
    --------
    >>> print(format_table(["model", "s"], [["ours", "1.5"], ["theirs", "12.0"]]))
    model      s
    ------  ----
    ours     1.5
    theirs  12.0
    """
    rows = [[str(cell) for cell in row] for row in rows]
    columns = list(zip(header, *rows))
    widths = [max(len(cell) for cell in column) for column in columns]
    numeric = [
        all(cell[:1].isdigit() or cell[:1] in "-." for cell in column[1:] if cell)
        for column in columns
    ]

    def line(row):
        cells = [
            cell.rjust(width) if right else cell.ljust(width)
            for cell, width, right in zip(row, widths, numeric)
        ]
        return "  ".join(cells).rstrip()

    rule = "  ".join("-" * width for width in widths)
    return "\n".join([line(header), rule, *(line(row) for row in rows)])
