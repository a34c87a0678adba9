"""What every benchmark script here shares: timing, threads, tables, memory, baselines.

The scripts in this folder are run from the repository root as
``python benchmarks/<script>.py``, which puts this folder first on ``sys.path``;
that is how they import this module (``from harness import ...``), without
installing anything. A new benchmark script takes what it needs of:

- :func:`set_threads` to hold BLAS (through threadpoolctl) and PyTorch to a
  number of threads, and :func:`describe_machine` to print what the timings ran
  on (CPUs, library versions, where skscratch came from, BLAS pools, options);
- :func:`time_interleaved` to time several competitors in one process,
  interleaved (repeat 1 runs A, B, C, repeat 2 runs B, C, A, ...) so that the
  noise of a shared machine falls on all of them alike, on the wall clock or
  the process's CPU time (:data:`CLOCKS`);
- :func:`median`, :func:`spread`, :func:`ratio` and :func:`mib` to write the
  cells of a table, and :func:`print_table` to print it (skscratch's own plain
  text format, the one the README's tables use);
- :func:`measure_peak` for the peak extra memory of one call, best run in a
  fresh subprocess (:func:`run_json_child` starts one and reads its answer);
- :func:`load_baseline` to import an earlier commit's skscratch beside this
  one, as the package ``skscratch_baseline``;
- :data:`torch`, the PyTorch module, or None when it is not installed.
"""

import gc
import importlib
import json
import os
import platform
import resource
import statistics
import subprocess
import sys
import tempfile
import time

import numpy as np
import sklearn
from threadpoolctl import threadpool_info, threadpool_limits

import skscratch
from skscratch._utils.tables import format_table

try:
    import torch
except ImportError:  # the comparisons with PyTorch are optional
    torch = None

MIB = 2**20
DTYPES = {"float32": np.float32, "float64": np.float64}
CLOCKS = {"wall": time.perf_counter, "cpu": time.process_time}
#: The repository's root, where ``git archive`` finds earlier commits.
REPO_ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


# --------------------------------------------------------------------- timing
def time_interleaved(runners, repeats, warmup=1, clock="wall"):
    """Time each runner ``repeats`` times, interleaved, after ``warmup`` untimed rounds.

    Repeat ``r`` starts with runner ``r mod k``, so no runner always follows
    the same other one.

    Parameters
    ----------
    runners : dict of str to callable
        Zero-argument callables; the last value each returns is kept.
    repeats : int
    warmup : int, default=1
    clock : {"wall", "cpu"}, default="wall"
        Wall-clock time, or the CPU time of the whole process (all its threads),
        which leaves out the time other processes held the CPU.

    Returns
    -------
    times : dict of str to list of float
        Seconds per call.
    results : dict of str to object
        What each runner returned on its last call.
    """
    names = list(runners)
    now = CLOCKS[clock]
    times = {name: [] for name in names}
    results = {}
    for _ in range(warmup):
        for name in names:
            runners[name]()
    for r in range(repeats):
        for k in range(len(names)):
            name = names[(r + k) % len(names)]
            gc.collect()
            start = now()
            results[name] = runners[name]()
            times[name].append(now() - start)
    return times, results


# ---------------------------------------------------------------------- cells
def median(values):
    """Median of a list of timings."""
    return statistics.median(values)


def spread(values):
    """(max - min) / median of a list of timings, in percent, as text."""
    return f"{100 * (max(values) - min(values)) / median(values):.0f}%"


def ratio(a, b):
    """``a / b`` as text, or '-' when ``b`` is missing."""
    return "-" if b is None or a is None else f"{a / b:.2f}"


def mib(value):
    """MiB as text, '-' when not measured."""
    if value is None:
        return "-"
    return f"{value:.1f}" if abs(value) < 10 else f"{value:.0f}"


def print_table(title, headers, rows, note=None):
    """Print a titled plain-text table (skscratch's own table format) and flush."""
    print()
    print(title)
    if note:
        print(note)
    print(format_table(headers, rows))
    sys.stdout.flush()


# ---------------------------------------------------------- threads, machine
def set_threads(threads):
    """Limit BLAS (through threadpoolctl) and PyTorch to ``threads``; None leaves them."""
    if threads is None:
        return
    threadpool_limits(limits=threads)
    if torch is not None:
        torch.set_num_threads(threads)


def skscratch_source():
    """Where skscratch was imported from, and its git commit when that is a checkout."""
    root = os.path.dirname(os.path.dirname(os.path.abspath(skscratch.__file__)))

    def git(*command):
        return subprocess.run(
            ["git", "-C", root, *command], capture_output=True, text=True, check=True
        ).stdout.strip()

    try:
        commit = git("rev-parse", "--short", "HEAD")
        dirty = git("status", "--porcelain", "--", "skscratch")
    except (OSError, subprocess.CalledProcessError):
        return f"{root} (not a git checkout)"
    return f"{root} at {commit}" + (
        ", with uncommitted changes in skscratch/" if dirty else ""
    )


def describe_machine(title, torch_column=True):
    """Print what the timings ran on: CPUs, library versions, BLAS and threads.

    Parameters
    ----------
    title : str
        The first line, the benchmark's name.
    torch_column : bool, default=True
        Whether the tables would have a PyTorch column; when they would and
        PyTorch is not installed, the versions line says so.
    """
    print(title)
    print(
        f"python {platform.python_version()}, {platform.machine()}, nproc {os.cpu_count()}"
    )
    versions = f"numpy {np.__version__}, scikit-learn {sklearn.__version__}"
    if torch is not None:
        versions += f", torch {torch.__version__} ({torch.get_num_threads()} threads)"
    elif torch_column:
        versions += ", torch not installed (no PyTorch column)"
    print(versions)
    print(f"skscratch from {skscratch_source()}")
    for info in threadpool_info():
        print(
            f"{info['user_api']}: {info['internal_api']} {info.get('version')} "
            f"({info.get('architecture')}), {info['num_threads']} threads, "
            f"{os.path.join(*info['filepath'].split(os.sep)[-2:])}"
        )
    print(f"options: {' '.join(sys.argv[1:]) or '(defaults)'}")


# ------------------------------------------------------------- peak memory
def _status_kib(field):
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith(field + ":"):
                return int(line.split()[1])
    raise KeyError(field)


def measure_peak(call):
    """Run ``call()`` and return (peak extra MiB, method).

    The peak-RSS mark is reset through ``/proc/self/clear_refs`` where Linux
    allows it; the result is the new peak minus the RSS just before the call.
    Elsewhere it falls back on ``ru_maxrss`` minus that RSS, which is only
    right when nothing before the call peaked higher.
    """
    gc.collect()
    try:
        with open("/proc/self/clear_refs", "w") as f:
            f.write("5")
        method = "VmHWM after clear_refs"
    except OSError:
        method = "ru_maxrss"
    before = _status_kib("VmRSS")
    call()
    if method == "ru_maxrss":
        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    else:
        peak = _status_kib("VmHWM")
    return (peak - before) / 1024, method


def run_json_child(command):
    """Run ``command`` in a subprocess and read its answer, a JSON last line of stdout.

    Parameters
    ----------
    command : list of str
        The subprocess's argv, e.g. ``[sys.executable, script, "--child", spec]``.

    Returns
    -------
    answer : object or None
        The decoded last line; None when the subprocess failed (its stderr is
        printed).
    """
    proc = subprocess.run(command, capture_output=True, text=True)
    if proc.returncode != 0:
        print(proc.stderr, file=sys.stderr)
        return None
    return json.loads(proc.stdout.strip().splitlines()[-1])


# ----------------------------------------------------------------- baseline
def load_baseline(commit):
    """Import ``commit``'s skscratch as the package ``skscratch_baseline``.

    ``git archive`` extracts the package into a temporary folder under that
    name (skscratch imports itself only relatively), so both versions live in
    this one process.

    Parameters
    ----------
    commit : str
        Anything ``git archive`` takes: a commit, a tag, a branch.

    Returns
    -------
    module : module
        The baseline's ``skscratch_baseline`` package.
    path : str
        Where the baseline was extracted.
    """
    target = tempfile.mkdtemp(prefix="skscratch_baseline_")
    archive = subprocess.run(
        ["git", "-C", REPO_ROOT, "archive", commit, "skscratch"],
        check=True,
        capture_output=True,
    ).stdout
    subprocess.run(["tar", "-x", "-C", target], input=archive, check=True)
    os.rename(os.path.join(target, "skscratch"), os.path.join(target, "skscratch_baseline"))
    sys.path.insert(0, target)
    return importlib.import_module("skscratch_baseline"), target
