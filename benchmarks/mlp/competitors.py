"""The competitors of the MLP benchmark, built with identical settings.

"skscratch" is the ``ScratchMLPClassifier`` Python imports, "sklearn"
scikit-learn's ``MLPClassifier``, "torch" the same network as a PyTorch
``nn.Sequential`` with a plain training loop (:class:`TorchMLP`, when PyTorch
is installed), and "baseline" an earlier commit's ``ScratchMLPClassifier``
(:func:`add_baseline`, from ``--baseline COMMIT``). Both MLPs get the same
architecture, solver, batch size, ``max_iter``, ``random_state``, and
``tol=0`` with ``n_iter_no_change=max_iter`` so that neither stops early and
both run every epoch.
"""

import numpy as np
from harness import load_baseline, torch
from sklearn.neural_network import MLPClassifier

from skscratch import ScratchMLPClassifier

#: Estimator classes by competitor name; "baseline" is added by --baseline.
CLASSES = {"skscratch": ScratchMLPClassifier, "sklearn": MLPClassifier}


class TorchMLP:
    """The same MLP as a PyTorch ``nn.Sequential``, trained by a plain CPU loop.

    Adam with scikit-learn's defaults (lr=1e-3, betas (0.9, 0.999), eps=1e-8),
    CrossEntropyLoss, shuffled mini-batches. scikit-learn's L2 term
    ``alpha / 2 * ||W||**2 / batch_size`` on the weights (not the biases) is
    Adam's coupled ``weight_decay=alpha / batch_size`` on the weights only. The
    starting weights are drawn as scikit-learn draws them (Glorot uniform, same
    ``random_state``), so all three start from the same point; only the shuffle
    order differs.

    Parameters
    ----------
    hidden : tuple of int
    batch_size : int
    max_iter : int
        Epochs.
    random_state : int
    alpha : float, default=1e-4
    learning_rate_init : float, default=1e-3
    """

    def __init__(
        self,
        hidden,
        batch_size,
        max_iter,
        random_state,
        alpha=1e-4,
        learning_rate_init=1e-3,
    ):
        self.hidden = tuple(hidden)
        self.batch_size = batch_size
        self.max_iter = max_iter
        self.random_state = random_state
        self.alpha = alpha
        self.learning_rate_init = learning_rate_init

    def _build(self, n_features, n_classes, dtype):
        sizes = [n_features, *self.hidden, n_classes]
        rng = np.random.RandomState(self.random_state)
        layers = []
        for n_in, n_out in zip(sizes[:-1], sizes[1:]):
            linear = torch.nn.Linear(n_in, n_out, dtype=dtype)
            bound = np.sqrt(6.0 / (n_in + n_out))
            weight = rng.uniform(-bound, bound, (n_in, n_out)).T  # torch stores W.T
            with torch.no_grad():
                linear.weight.copy_(torch.from_numpy(weight))
                linear.bias.copy_(torch.from_numpy(rng.uniform(-bound, bound, n_out)))
            layers += [linear, torch.nn.ReLU()]
        return torch.nn.Sequential(*layers[:-1])

    def fit(self, X, y):
        """Train for ``max_iter`` epochs; ``X`` is shared with numpy, not copied."""
        X_t = torch.from_numpy(X)
        y_t = torch.from_numpy(np.asarray(y, dtype=np.int64))
        self.model_ = self._build(X.shape[1], int(y.max()) + 1, X_t.dtype)
        linears = [m for m in self.model_ if isinstance(m, torch.nn.Linear)]
        decay = self.alpha / self.batch_size
        optimizer = torch.optim.Adam(
            [
                {"params": [m.weight for m in linears], "weight_decay": decay},
                {"params": [m.bias for m in linears], "weight_decay": 0.0},
            ],
            lr=self.learning_rate_init,
            betas=(0.9, 0.999),
            eps=1e-8,
        )
        loss_fn = torch.nn.CrossEntropyLoss()
        generator = torch.Generator().manual_seed(self.random_state)
        n = X_t.shape[0]
        for _ in range(self.max_iter):
            order = torch.randperm(n, generator=generator)
            for start in range(0, n, self.batch_size):
                idx = order[start : start + self.batch_size]
                optimizer.zero_grad(set_to_none=True)
                loss = loss_fn(self.model_(X_t[idx]), y_t[idx])
                loss.backward()
                optimizer.step()
        self.n_iter_ = self.max_iter
        return self

    def predict_proba(self, X):
        """Softmax of the network's output, in one pass over ``X``."""
        with torch.inference_mode():
            return torch.softmax(self.model_(torch.from_numpy(X)), dim=1).numpy()

    def score(self, X, y):
        """Accuracy."""
        return float(np.mean(self.predict_proba(X).argmax(axis=1) == y))


def make_model(name, *, hidden, batch_size, max_iter, seed, solver="adam", tol=0.0):
    """One of the three competitors, with identical settings.

    With ``tol=0`` the MLPs also get ``n_iter_no_change=max_iter``, so they run
    all ``max_iter`` epochs.

    Parameters
    ----------
    name : {"skscratch", "baseline", "sklearn", "torch"}
    hidden : tuple of int
    batch_size : int
    max_iter : int
    seed : int
    solver : {"adam", "lbfgs"}, default="adam"
        "torch" supports adam only.
    tol : float, default=0.0
    """
    if name == "torch":
        return TorchMLP(hidden, batch_size, max_iter, seed)
    return CLASSES[name](
        hidden_layer_sizes=hidden,
        solver=solver,
        batch_size=batch_size,
        max_iter=max_iter,
        tol=tol,
        n_iter_no_change=max_iter if tol == 0 else 10,
        random_state=seed,
    )


def fitter(name, X, y, **settings):
    """A zero-argument callable that builds a fresh model and fits it on ``X, y``.

    ``settings`` are the keyword arguments of :func:`make_model`.
    """
    return lambda: make_model(name, **settings).fit(X, y)


def model_names(args, baseline=True, with_torch=True):
    """The competitors of this run: skscratch, the baseline when given, sklearn,
    and torch when present."""
    names = ["skscratch"]
    if baseline and "baseline" in CLASSES:
        names.append("baseline")
    names.append("sklearn")
    return names + ["torch"] if with_torch and torch is not None and args.torch else names


def add_baseline(commit):
    """Make ``commit``'s ``ScratchMLPClassifier`` the competitor "baseline".

    Returns
    -------
    path : str
        Where :func:`harness.load_baseline` extracted that commit's skscratch.
    """
    module, path = load_baseline(commit)
    CLASSES["baseline"] = module.ScratchMLPClassifier
    return path
