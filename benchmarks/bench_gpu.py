"""Epoch time on a GPU (or torch's CPU): skscratch on torch tensors beside PyTorch.

Two workloads of issue 17, float32, Adam, batch 200, shuffled:

``mnist``
    60,000 x 784 -> 128 -> 10 (the shape of MNIST; synthetic data, uniform
    inputs labelled by a random linear teacher, as ``bench_mlp.py``'s).
``wide``
    1,000,000 x 100 -> (512, 512) -> 2.

Competitors, each timed over ``--epochs`` epochs of a fresh fit (seconds per
epoch; the first, untimed fit of each pays for CUDA's start and kernel
loading):

``skscratch (torch)``
    ``ScratchMLPClassifier`` fitted on torch tensors on the device, with
    scikit-learn's ``array_api_dispatch=True``: the same estimator and core as
    on numpy, computing in torch.
``torch loop``
    the same network as ``nn.Sequential`` with a plain training loop, data on
    the device, ``torch.randperm`` for the shuffle, ``torch.optim.Adam`` and
    ``CrossEntropyLoss``: what a PyTorch user writes.
``skorch``
    ``skorch.NeuralNetClassifier`` around the same module (when skorch is
    installed), no validation split.
``skscratch (numpy)``
    ``ScratchMLPClassifier`` on numpy arrays on this machine's CPU, the
    default path (``--no-numpy`` leaves it out; on the wide workload it takes
    minutes per epoch on two cores).

Usage::

    python benchmarks/bench_gpu.py                         # CUDA if there is one
    python benchmarks/bench_gpu.py --device cpu --quick    # torch on the CPU, 1/20 the rows
    python benchmarks/bench_gpu.py --workloads mnist --epochs 3

Then, unless ``--no-lbfgs``: L-BFGS on the device (6,000 rows of the mnist
shape, 20 iterations), with the host <-> device copies it makes per
iteration (scipy's L-BFGS works on the host) and the share of the fit they take.

Needs torch and array-api-compat (``pip install "skscratch[torch]"``); skorch
is optional. Set ``SCIPY_ARRAY_API=1`` is done here, before scipy is imported.
"""

import os

os.environ.setdefault("SCIPY_ARRAY_API", "1")  # before scipy: array API dispatch needs it

import argparse  # noqa: E402
import time  # noqa: E402
import warnings  # noqa: E402

import numpy as np  # noqa: E402
import sklearn  # noqa: E402
from harness import describe_machine, median, print_table, ratio, set_threads, torch  # noqa: E402, I001
from mlp.data import sample  # noqa: E402
from sklearn.exceptions import ConvergenceWarning  # noqa: E402

from skscratch import ScratchMLPClassifier  # noqa: E402

#: name -> (rows, features, hidden layers, classes)
WORKLOADS = {
    "mnist": (60_000, 784, (128,), 10),
    "wide": (1_000_000, 100, (512, 512), 2),
}
BATCH = 200


def make_data(workload, scale):
    """Float32 training data of a workload, ``scale`` times its rows."""
    n_rows, n_features, _, n_classes = WORKLOADS[workload]
    teacher = np.random.default_rng(0).standard_normal((n_features, n_classes))
    return sample(teacher, max(BATCH, int(n_rows * scale)), 1, np.float32)


def synchronize(device):
    """Wait for the device's queued work (timings must include it)."""
    if device.type == "cuda":
        torch.cuda.synchronize(device)
    elif device.type == "mps":
        torch.mps.synchronize()


def scratch_model(hidden, epochs):
    """skscratch's classifier for ``epochs`` full epochs (no early stop)."""
    return ScratchMLPClassifier(
        hidden,
        batch_size=BATCH,
        max_iter=epochs,
        tol=0.0,
        n_iter_no_change=epochs,
        random_state=0,
    )


def fit_scratch_torch(X, y, hidden, epochs, device):
    """Fit skscratch on torch tensors already on ``device``."""
    with sklearn.config_context(array_api_dispatch=True), warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        model = scratch_model(hidden, epochs).fit(X, y)
    synchronize(device)
    return model


def fit_scratch_numpy(X, y, hidden, epochs, device=None):
    """Fit skscratch on numpy arrays (the CPU)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        return scratch_model(hidden, epochs).fit(X, y)


def torch_module(n_features, hidden, n_classes):
    """``Linear, ReLU, ..., Linear``: the same network as skscratch's."""
    sizes = [n_features, *hidden, n_classes]
    layers = []
    for n_in, n_out in zip(sizes[:-1], sizes[1:]):
        layers += [torch.nn.Linear(n_in, n_out), torch.nn.ReLU()]
    return torch.nn.Sequential(*layers[:-1])


def fit_torch_loop(X, y, hidden, epochs, device):
    """A plain PyTorch loop with Adam (scikit-learn's defaults) on ``device``."""
    torch.manual_seed(0)
    model = torch_module(X.shape[1], hidden, int(y.max()) + 1).to(device)
    optimizer = torch.optim.Adam(model.parameters(), lr=1e-3, betas=(0.9, 0.999), eps=1e-8)
    loss_fn = torch.nn.CrossEntropyLoss()
    n = X.shape[0]
    for _ in range(epochs):
        order = torch.randperm(n, device=device)
        for start in range(0, n, BATCH):
            idx = order[start : start + BATCH]
            optimizer.zero_grad(set_to_none=True)
            loss_fn(model(X[idx]), y[idx]).backward()
            optimizer.step()
    synchronize(device)
    return model


def fit_skorch(X, y, hidden, epochs, device):
    """skorch's NeuralNetClassifier around the same module."""
    from skorch import NeuralNetClassifier

    torch.manual_seed(0)
    net = NeuralNetClassifier(
        torch_module(X.shape[1], hidden, int(y.max()) + 1),
        criterion=torch.nn.CrossEntropyLoss,
        optimizer=torch.optim.Adam,
        lr=1e-3,
        max_epochs=epochs,
        batch_size=BATCH,
        iterator_train__shuffle=True,
        train_split=None,
        device=str(device),
        verbose=0,
    )
    net.fit(X, y)
    synchronize(device)
    return net


def time_fit(fit, repeats):
    """Seconds of each of ``repeats`` calls of ``fit`` (after one untimed call)."""
    fit()
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        fit()
        times.append(time.perf_counter() - start)
    return times


def run_workload(workload, args, device):
    """The table row cells of one workload: seconds per epoch of each competitor."""
    _, _, hidden, _ = WORKLOADS[workload]
    X, y = make_data(workload, args.scale)
    X_dev = torch.asarray(X, device=device)
    y_dev = torch.asarray(y, device=device)
    competitors = {
        "skscratch (torch)": lambda: fit_scratch_torch(
            X_dev, y_dev, hidden, args.epochs, device
        ),
        "torch loop": lambda: fit_torch_loop(X_dev, y_dev, hidden, args.epochs, device),
    }
    try:
        import skorch  # noqa: F401

        # skorch takes numpy and moves each batch to the device, as its users do.
        competitors["skorch"] = lambda: fit_skorch(X, y, hidden, args.epochs, device)
    except ImportError:
        pass
    if not args.no_numpy:
        competitors["skscratch (numpy)"] = lambda: fit_scratch_numpy(
            X, y, hidden, args.epochs
        )
    per_epoch = {}
    for name, fit in competitors.items():
        per_epoch[name] = median(time_fit(fit, args.repeats)) / args.epochs
        print(f"  {workload}: {name} {per_epoch[name]:.3f} s/epoch", flush=True)
    return X.shape, per_epoch


class TransferCounter:
    """Counts (and times) the host <-> device copies of the array API seam.

    While active, :meth:`~skscratch.core.backend.ArrayAPIOps.asarray` (host to
    device) and :meth:`~skscratch.core.backend.ArrayAPIOps.to_host` (device to
    host) are wrapped; each call's bytes and seconds (synchronized) add up.
    """

    def __init__(self, device):
        from skscratch.core.backend import ArrayAPIOps

        self.cls, self.device = ArrayAPIOps, device
        self.calls = {"to device": 0, "to host": 0}
        self.bytes = dict.fromkeys(self.calls, 0)
        self.seconds = 0.0

    def _wrap(self, name, original):
        def wrapped(ops, a, *args, **kwargs):
            synchronize(self.device)
            start = time.perf_counter()
            result = original(ops, a, *args, **kwargs)
            synchronize(self.device)
            self.seconds += time.perf_counter() - start
            self.calls[name] += 1
            self.bytes[name] += int(np.prod(getattr(result, "shape", ()))) * getattr(
                result.dtype, "itemsize", 4
            )
            return result

        return wrapped

    def __enter__(self):
        self.saved = self.cls.asarray, self.cls.to_host
        self.cls.asarray = self._wrap("to device", self.saved[0])
        self.cls.to_host = self._wrap("to host", self.saved[1])
        return self

    def __exit__(self, *exc):
        self.cls.asarray, self.cls.to_host = self.saved


def lbfgs_transfers(args, device):
    """L-BFGS on the device: the host <-> device copies per iteration, and their time.

    scipy's L-BFGS runs on the host in float64: each evaluation copies the
    parameters to the device and the gradient back (X stays on the device).
    """
    X, y = make_data("mnist", min(args.scale, 0.1))
    X_dev, y_dev = torch.asarray(X, device=device), torch.asarray(y, device=device)
    hidden, iterations = (128,), 20

    def fit():
        model = ScratchMLPClassifier(
            hidden, solver="lbfgs", max_iter=iterations, tol=0.0, random_state=0
        )
        with sklearn.config_context(array_api_dispatch=True), warnings.catch_warnings():
            warnings.simplefilter("ignore", ConvergenceWarning)
            model.fit(X_dev, y_dev)
        synchronize(device)
        return model

    fit()  # warm up
    start = time.perf_counter()
    with TransferCounter(device) as counter:
        model = fit()
    total = time.perf_counter() - start
    n_params = sum(int(np.prod(c.shape)) for c in model.coefs_ + model.intercepts_)
    rows = [
        [
            name,
            f"{calls / model.n_iter_:.1f}",
            f"{counter.bytes[name] / model.n_iter_ / 2**20:.2f}",
        ]
        for name, calls in counter.calls.items()
    ]
    print_table(
        f"lbfgs on {device}: {X.shape[0]:,} x {X.shape[1]} -> (128) -> 10, "
        f"{model.n_iter_} iterations, {n_params:,} parameters",
        ["copy", "calls per iteration", "MiB per iteration"],
        rows,
        note=f"copies took {counter.seconds:.3f} s of the fit's {total:.3f} s "
        f"({100 * counter.seconds / total:.1f}%, each timed with a device sync)",
    )


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--device", help="torch device (default: cuda if available)")
    parser.add_argument(
        "--workloads", nargs="+", choices=list(WORKLOADS), default=list(WORKLOADS)
    )
    parser.add_argument("--epochs", type=int, default=2, help="epochs per timed fit")
    parser.add_argument("--repeats", type=int, default=2, help="timed fits per competitor")
    parser.add_argument("--scale", type=float, default=1.0, help="fraction of the rows")
    parser.add_argument("--quick", action="store_true", help="--scale 0.05 --repeats 1")
    parser.add_argument("--threads", type=int, help="CPU threads (BLAS and torch)")
    parser.add_argument(
        "--no-lbfgs", action="store_true", help="leave out the L-BFGS transfer count"
    )
    parser.add_argument(
        "--no-numpy", action="store_true", help="leave out skscratch on numpy (the CPU)"
    )
    args = parser.parse_args(argv)
    if torch is None:
        parser.error("bench_gpu.py needs torch: pip install 'skscratch[torch]'")
    if args.quick:
        args.scale, args.repeats = 0.05, 1
    set_threads(args.threads)
    device = torch.device(args.device or ("cuda" if torch.cuda.is_available() else "cpu"))
    describe_machine("bench_gpu: seconds per epoch, float32, Adam, batch 200")
    name = torch.cuda.get_device_name(device) if device.type == "cuda" else "CPU"
    print(f"device: {device} ({name})")
    rows, headers = [], None
    for workload in args.workloads:
        shape, per_epoch = run_workload(workload, args, device)
        names = list(per_epoch)
        headers = ["workload", *names, "skscratch (torch) / torch loop"]
        _, _, hidden, n_classes = WORKLOADS[workload]
        widths = ", ".join(map(str, hidden))
        label = f"{shape[0]:,} x {shape[1]} -> ({widths}) -> {n_classes}"
        rows.append(
            [
                label,
                *(f"{per_epoch[n]:.3f}" for n in names),
                ratio(per_epoch["skscratch (torch)"], per_epoch["torch loop"]),
            ]
        )
    print()
    print_table(
        f"seconds per epoch on {device} ({name})",
        headers,
        rows,
        note="skscratch (numpy) runs on this machine's CPU whatever --device is",
    )
    if not args.no_lbfgs:
        lbfgs_transfers(args, device)


if __name__ == "__main__":
    main()
