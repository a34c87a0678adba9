"""plot_history: training curves from history_."""

import sys

import pytest
from sklearn.exceptions import ConvergenceWarning

from skscratch import ScratchMLPClassifier

matplotlib = pytest.importorskip("matplotlib")
matplotlib.use("Agg")
from skscratch.plotting import plot_history  # noqa: E402

pytestmark = pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")


@pytest.fixture(autouse=True)
def close_figures():
    import matplotlib.pyplot as plt

    yield
    plt.close("all")


def test_loss_curve(iris):
    est = ScratchMLPClassifier((5,), max_iter=6, random_state=0).fit(*iris)
    ax = plot_history(est)
    (line,) = ax.get_lines()
    assert list(line.get_xdata()) == [1, 2, 3, 4, 5, 6]
    assert list(line.get_ydata()) == est.loss_curve_
    assert ax.right_ax is None


def test_validation_score_on_twin_axis(iris):
    import matplotlib.pyplot as plt

    est = ScratchMLPClassifier((5,), max_iter=4, early_stopping=True, random_state=0).fit(
        *iris
    )
    _, given = plt.subplots()
    ax = plot_history(est.history_, ax=given)
    assert ax is given
    (line,) = ax.right_ax.get_lines()
    assert list(line.get_ydata()) == est.validation_scores_


def test_validation_loss_beside_the_training_loss(iris):
    X, y = iris
    est = ScratchMLPClassifier((5,), max_iter=4, random_state=0)
    est.fit(X[::2], y[::2], X_val=X[1::2], y_val=y[1::2])
    ax = plot_history(est)
    loss, validation = ax.get_lines()
    assert list(loss.get_ydata()) == est.loss_curve_
    assert list(validation.get_ydata()) == [r["validation_loss"] for r in est.history_]
    assert validation.get_label() == "validation loss"
    assert ax.get_legend() is not None


def test_empty_history():
    with pytest.raises(ValueError, match="empty"):
        plot_history([])


def test_missing_matplotlib_names_a_command_that_works(monkeypatch, iris):
    # skscratch is installed from a checkout, not from a package index: the
    # message must not send users to `pip install "skscratch[plot]"`.
    monkeypatch.setitem(sys.modules, "matplotlib.pyplot", None)
    with pytest.warns(ConvergenceWarning):
        model = ScratchMLPClassifier(solver="lbfgs", max_iter=3).fit(*iris)
    with pytest.raises(ImportError, match=r'pip install "\.\[plot\]" from a checkout'):
        plot_history(model)
