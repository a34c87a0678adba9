"""The benchmark scripts start: each imports what it names and parses its options.

They are not run here (they take minutes to hours), but a script broken by a
rename elsewhere (a constant of bench_tabular.py, a signature of the training
loops) fails at import or at its argument parser, which ``--help`` reaches.
"""

import pathlib
import subprocess
import sys

import pytest

BENCHMARKS = pathlib.Path(__file__).resolve().parents[1] / "benchmarks"
SCRIPTS = sorted(BENCHMARKS.glob("*.py")) if BENCHMARKS.is_dir() else []
ENTRY_POINTS = [path for path in SCRIPTS if "__main__" in path.read_text()]


@pytest.mark.skipif(not ENTRY_POINTS, reason="not a checkout with benchmarks/")
@pytest.mark.parametrize("script", ENTRY_POINTS, ids=lambda path: path.name)
def test_a_benchmark_script_imports_and_parses_its_options(script):
    pytest.importorskip("pandas")
    result = subprocess.run(
        [sys.executable, str(script), "--help"],
        cwd=BENCHMARKS.parent,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr[-2000:]
    assert "usage:" in result.stdout
