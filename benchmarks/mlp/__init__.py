"""The sections of ``bench_mlp.py``, one group per module.

- :mod:`mlp.data`: the synthetic data every section trains on;
- :mod:`mlp.competitors`: the competitors (skscratch, scikit-learn, a PyTorch
  loop, an earlier commit's skscratch) built with identical settings;
- :mod:`mlp.throughput`: sections 1 and 2, seconds per epoch and the GEMM floor
  (and ``--profile``);
- :mod:`mlp.iris`: section 3, time per iteration of full-batch fits on Iris;
- :mod:`mlp.scaling`: sections 4 and 5, time and peak memory as rows grow,
  and predict_proba;
- :mod:`mlp.user`: sections 6 to 8, what a user's code waits for: a default
  fit, a parallel grid search, one-row latency.

Each section is a function ``bench_<section>(args)`` that takes the parsed
command line of ``bench_mlp.py`` and prints its tables; the timing, table and
memory machinery comes from ``benchmarks/harness.py``.
"""
