"""Small helpers of the whole package: the table printer of the demo and the
benchmarks, and where skscratch's warnings point.

May import: numpy and scikit-learn only; every other package may import it.
"""
