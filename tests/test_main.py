"""``python -m skscratch``: the demo, run on small data so that it stays fast."""

import numpy as np
import pytest

import skscratch.__main__ as demo


@pytest.fixture
def small_datasets(monkeypatch):
    rng = np.random.RandomState(0)
    X = rng.normal(size=(60, 2))
    y = (X[:, 0] > 0).astype(int)
    params = {"max_iter": 30, "random_state": 0}
    datasets = {"iris": ((X, y), params), "moons": ((X, y), params)}
    monkeypatch.setattr(demo, "load_datasets", lambda: datasets)


def test_demo_prints_both_tables(small_datasets, capsys):
    demo.main()
    out = capsys.readouterr().out
    assert "dataset  model" in out and "speed-up" in out
    rows = [
        line.split()[:2] for line in out.splitlines() if line.startswith(("iris", "moons"))
    ]
    assert rows == [
        ["iris", "skscratch"],
        ["iris", "scikit-learn"],
        ["moons", "skscratch"],
        ["moons", "scikit-learn"],
    ]
    assert "best params" in out and "best score" in out
