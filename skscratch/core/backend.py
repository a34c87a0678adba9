"""The one seam between the core and the array library it computes in.

(Over 600 lines because both sides of the seam, numpy's functions and the
array API's, stand here one beside the other, function by function.)

The core's arithmetic is written once, against an ``ops`` object:

* for numpy arrays, ``ops`` is :data:`NUMPY`, whose functions are numpy's own
  (and scipy's ufuncs): they take ``out=``, the buffer to write into, so that
  a training step allocates nothing;
* for any other array API namespace (torch on CPU, CUDA or MPS, CuPy,
  array-api-strict; found by ``array_api_compat``), :func:`ops_for` gives an
  :class:`ArrayAPIOps` with the same functions, which leave ``out`` alone and
  return a new array (the standard has no ``out=``), and keep every array on
  the device of the network's parameters.

So the core always uses what an operation returns, and the two run the same
lines. The few places that must change an existing array (a gradient view,
the parameters, a snapshot) use in-place operators (``params -= step``) or the
``*_into`` functions, which write on every namespace.

Random numbers are never drawn on a device: initial weights, shuffles and
dropout masks come from numpy's generators on the host and are moved to the
device (:meth:`ArrayAPIOps.asarray`), so that a seed gives the same model on
every namespace.
"""

import math

import numpy as np
import scipy.sparse
import scipy.special

try:
    import array_api_compat
except ImportError:  # numpy alone needs none of it: pip install "skscratch[array-api]"
    array_api_compat = None


class NumpyOps:
    """numpy's functions, under the names the core calls (all take ``out=``).

    Attributes
    ----------
    xp : module
        numpy itself.
    device : None
    is_numpy : bool
        True: the fast paths that only numpy has (``out=``, BLAS threads,
        ``np.bincount``, sparse X) apply.
    """

    xp = np
    device = None
    is_numpy = True

    add = staticmethod(np.add)
    subtract = staticmethod(np.subtract)
    multiply = staticmethod(np.multiply)
    divide = staticmethod(np.divide)
    square = staticmethod(np.square)
    sqrt = staticmethod(np.sqrt)
    exp = staticmethod(np.exp)
    expm1 = staticmethod(np.expm1)
    log = staticmethod(np.log)
    tanh = staticmethod(np.tanh)
    maximum = staticmethod(np.maximum)
    minimum = staticmethod(np.minimum)
    greater_equal = staticmethod(np.greater_equal)
    logaddexp = staticmethod(np.logaddexp)
    sin = staticmethod(np.sin)
    isnan = staticmethod(np.isnan)
    cos = staticmethod(np.cos)
    matmul = staticmethod(np.matmul)
    matmul_into = staticmethod(np.matmul)  # write a @ b into out

    @staticmethod
    def einsum(spec, *arrays, out=None):
        return np.einsum(spec, *arrays, out=out)

    einsum_into = einsum

    @staticmethod
    def permute(a, axes):
        return np.transpose(a, axes)

    # staticmethod: with SCIPY_ARRAY_API=1 these are functions, not ufuncs.
    expit = staticmethod(scipy.special.expit)
    erf = staticmethod(scipy.special.erf)

    # Phi and phi are computed in float64 for float32 z too: float32 1 + erf keeps
    # one digit of Phi at z = -5 and none below -5.6. The casts are explicit:
    # numpy 2 promotes float32 / np.float64 to float64 and numpy 1 keeps float32.
    @staticmethod
    def normal_cdf(z):
        """The standard normal CDF ``Phi(z) = (1 + erf(z / sqrt 2)) / 2``."""
        return 0.5 * (1.0 + scipy.special.erf(np.divide(z, np.sqrt(2.0), dtype=np.float64)))

    @staticmethod
    def normal_pdf(z):
        """The standard normal density ``phi(z) = exp(-z**2 / 2) / sqrt(2 pi)``."""
        return np.divide(np.exp(-0.5 * z**2), np.sqrt(2.0 * np.pi), dtype=np.float64)

    @staticmethod
    def dot(a, b, out=None):
        """``a @ b`` (into ``out``); ``a`` may be a sparse matrix (X, first layer)."""
        if isinstance(a, np.ndarray):
            return np.dot(a, b, out=out)
        if out is None:
            return a @ b
        out[...] = a @ b
        return out

    dot_into = dot  # write a @ b into out (a view that must change)

    @staticmethod
    def col_means(a, weights=None):
        """The (``weights``-weighted) mean of each column, summed in float64 and
        returned in ``a``'s dtype (float32 sums would differ between libraries,
        which add in other orders, by more than float32's rounding)."""
        if weights is None:
            mean = a.mean(axis=0, dtype=np.float64)
        else:
            mean = weights.astype(np.float64, copy=False) @ a
        return mean.astype(a.dtype, copy=False)

    @staticmethod
    def col_dot_into(a, b, out):
        """Write the column sums of ``a * b`` into ``out`` (no temporary product)."""
        return np.einsum("ij,ij->j", a, b, out=out)

    @staticmethod
    def largest_column_norm(W):
        """``max_j sum_k |W_kj|``, as a Python float (in float64: it bounds, not rounds)."""
        with np.errstate(over="ignore", invalid="ignore"):
            return float(np.abs(W).sum(axis=0, dtype=np.float64).max())

    @staticmethod
    def as_indices(a):
        """Whole numbers held as floats (category codes), as integer indices."""
        return a.astype(np.intp)

    @staticmethod
    def concat(arrays, axis=0):
        return np.concatenate(arrays, axis=axis)

    @staticmethod
    def copy(src, out=None):
        """A copy of ``src`` (into ``out``)."""
        if out is None:
            return src.copy()
        np.copyto(out, src)
        return out

    @staticmethod
    def clip(a, low, high, out=None):
        return np.clip(a, low, high, out=out)

    @staticmethod
    def keep(a, mask, out=None):
        """``a`` where ``mask``, else 0 (a product with the boolean mask)."""
        return np.multiply(a, mask, out=out)

    @staticmethod
    def row_max(a):
        return a.max(axis=1, keepdims=True)

    @staticmethod
    def take_columns(a, columns):
        """``a[:, columns]`` for a list of column indices."""
        return np.take(a, columns, axis=1)

    @staticmethod
    def finfo_max(dtype):
        return float(np.finfo(dtype).max)

    @staticmethod
    def where(condition, a, b):
        return np.where(condition, a, b)

    @staticmethod
    def choose(condition, a, b, like):
        """The number ``a`` where ``condition``, else ``b`` (an array like ``like``)."""
        return np.where(condition, a, b)

    @staticmethod
    def rows(X, rows):
        """``X[rows]`` for a slice ``rows`` (a view; sparse X too)."""
        return X[rows]

    @staticmethod
    def take_rows(X, rows, out=None):
        """``X[rows]``, the rows in range by construction.

        ``mode="clip"`` lets ``np.take`` write straight into ``out``; the
        default ``"raise"`` goes through a temporary copy and takes 4x longer.
        """
        if not isinstance(X, np.ndarray):  # sparse
            return X[rows]
        return np.take(X, rows, axis=0, out=out, mode="clip")

    @staticmethod
    def row_sums(a, keepdims=False):
        return a.sum(axis=1, keepdims=keepdims)

    @staticmethod
    def rowdot(a, b):
        """``sum(a * b, axis=1)`` without the product's temporary."""
        return np.einsum("ij,ij->i", a, b)

    @staticmethod
    def xlogy(x, y):
        return scipy.special.xlogy(x, y)

    @staticmethod
    def scatter_add_rows(index, values, n_rows):
        """``out[index[i]] += values[i]`` for rows ``values[i]`` of width ``d``.

        One ``np.bincount`` over the flat index ``index * d + column`` (3 to 5
        times faster than ``np.add.at``, measured at batch sizes 200 to 20,000).
        """
        d = values.shape[1]
        flat_index = index[:, None] * d + np.arange(d)
        sums = np.bincount(flat_index.ravel(), weights=values.ravel(), minlength=n_rows * d)
        return sums.reshape(n_rows, d)

    @staticmethod
    def average(a, weights=None):
        """The (weighted) mean of ``a``, as a Python float."""
        return float(np.average(a, weights=weights))

    @staticmethod
    def dot_value(a, b):
        """``a @ b`` of two vectors, as a Python float."""
        return float(np.dot(a, b))

    @staticmethod
    def result_dtype(*arrays):
        return np.result_type(*(a.dtype for a in arrays))

    @staticmethod
    def all_finite(a):
        """Whether every entry of ``a`` is finite, as a Python bool."""
        return bool(np.isfinite(a).all())

    @staticmethod
    def abs_max(a):
        """``max |a|`` as a Python float (0 for an empty array; NaN if ``a`` has
        one), from ``a``'s largest and smallest entries: ``abs(a)`` would make a
        temporary the size of ``a``, which costs a tenth of an epoch on MNIST."""
        if not a.size:
            return 0.0
        return float(np.maximum(abs(float(a.max())), abs(float(a.min()))))

    @staticmethod
    def asarray(a, dtype=None):
        """A host (numpy) array in this namespace, on its device."""
        return np.asarray(a, dtype=dtype)

    @staticmethod
    def astype(a, dtype):
        """``a`` in the dtype named as numpy's ``dtype`` (no copy if it is already)."""
        return a.astype(dtype, copy=False)

    @staticmethod
    def to_host(a):
        """``a`` as a numpy array."""
        return np.asarray(a)

    @staticmethod
    def empty(shape, dtype):
        return np.empty(shape, dtype)

    @staticmethod
    def zeros(shape, dtype):
        return np.zeros(shape, dtype)

    @staticmethod
    def ones(shape, dtype):
        return np.ones(shape, dtype)

    @staticmethod
    def dtype(dtype):
        """The namespace's float dtype of the same name as the numpy ``dtype``."""
        return np.dtype(dtype)

    @staticmethod
    def numpy_dtype(dtype):
        """The numpy dtype of the same name as the namespace's ``dtype``."""
        return np.dtype(dtype)


class ArrayAPIOps:
    """The core's functions in an array API namespace ``xp``, on ``device``.

    Every function returns a new array and ignores ``out``, but the
    ``*_into`` ones, which write into an existing array.

    Parameters
    ----------
    xp : namespace
        From ``array_api_compat.array_namespace``.
    device : device
        Where the network's arrays live.
    """

    is_numpy = False

    def __init__(self, xp, device):
        self.xp, self.device = xp, device
        self._library = _library(xp)

    def __repr__(self):
        return f"ArrayAPIOps({self.xp.__name__}, {self.device!r})"

    def __eq__(self, other):
        return (
            isinstance(other, ArrayAPIOps)
            and self.xp is other.xp
            and self.device == other.device
        )

    def __hash__(self):
        return hash((id(self.xp), str(self.device)))

    # Element-wise and linear algebra, each a new array.
    def dot(self, a, b, out=None):
        return a @ b

    def dot_into(self, a, b, out):
        out[...] = a @ b
        return out

    def add(self, a, b, out=None):
        return a + b

    def sin(self, a, out=None):
        return self.xp.sin(a)

    def cos(self, a, out=None):
        return self.xp.cos(a)

    def matmul(self, a, b, out=None):
        return a @ b

    def matmul_into(self, a, b, out):
        out[...] = a @ b
        return out

    def permute(self, a, axes):
        return self.xp.permute_dims(a, axes)

    def einsum(self, spec, *arrays, out=None):
        """The library's own einsum (torch, CuPy); else numpy's on the host (the
        array API has none)."""
        if self._library in ("torch", "cupy"):
            return self._native().einsum(spec, *arrays)
        host = np.einsum(spec, *(self.to_host(a) for a in arrays))
        return self.asarray(host, dtype=arrays[0].dtype)

    def einsum_into(self, spec, *arrays, out):
        out[...] = self.einsum(spec, *arrays)
        return out

    def _native(self):
        """The library module itself (the array's own, imported already)."""
        import importlib

        return importlib.import_module(self._library)

    def col_means(self, a, weights=None):
        xp, wide = self.xp, self._widest_float()
        wide_a = xp.astype(a, wide, copy=False)
        if weights is None:
            mean = xp.mean(wide_a, axis=0)
        else:
            mean = xp.astype(weights, wide, copy=False) @ wide_a
        return xp.astype(mean, a.dtype, copy=False)

    def _widest_float(self):
        """float64 where the device has it, else float32 (MPS)."""
        info = getattr(self.xp, "__array_namespace_info__", None)
        try:
            has_float64 = "float64" in info().dtypes(device=self.device)
        except Exception:  # a library that cannot tell: assume it has
            has_float64 = True
        return self.xp.float64 if has_float64 else self.xp.float32

    def col_dot_into(self, a, b, out):
        out[...] = self.xp.sum(a * b, axis=0)
        return out

    def largest_column_norm(self, W):
        return float(self.xp.max(self.xp.sum(self.xp.abs(W), axis=0)))

    def as_indices(self, a):
        return self.xp.astype(a, self.xp.int64)

    def concat(self, arrays, axis=0):
        return self.xp.concat(arrays, axis=axis)

    def subtract(self, a, b, out=None):
        return a - b

    def multiply(self, a, b, out=None):
        return a * b

    def divide(self, a, b, out=None):
        return a / b

    def square(self, a, out=None):
        return a * a

    def sqrt(self, a, out=None):
        return self.xp.sqrt(a)

    def exp(self, a, out=None):
        return self.xp.exp(a)

    def expm1(self, a, out=None):
        return self.xp.expm1(a)

    def log(self, a, out=None):
        return self.xp.log(a)

    def tanh(self, a, out=None):
        return self.xp.tanh(a)

    def maximum(self, a, b, out=None):
        return self.xp.maximum(a, b)

    def minimum(self, a, b, out=None):
        return self.xp.minimum(a, b)

    def greater_equal(self, a, b, out=None):
        return a >= b

    def logaddexp(self, a, b, out=None):
        return self.xp.logaddexp(a, b)

    def clip(self, a, low, high, out=None):
        return self.xp.clip(a, low, high)

    def where(self, condition, a, b):
        return self.xp.where(condition, a, b)

    def choose(self, condition, a, b, like):
        # The standard's where takes no two Python numbers: one is an array.
        return self.xp.where(condition, self.xp.full_like(like, a), b)

    def copy(self, src, out=None):
        return self.xp.asarray(src, copy=True)

    def expit(self, z, out=None):
        """``1 / (1 + exp(-z))``, from whichever side does not overflow."""
        xp = self.xp
        e = xp.exp(-xp.abs(z))  # in (0, 1]
        return xp.where(z >= 0, 1.0 / (1.0 + e), e / (1.0 + e))

    def erf(self, z, out=None):
        """The error function (the array API has none): torch's own; scipy's,
        which hands CuPy arrays to CuPy under scikit-learn's array API dispatch
        (``SCIPY_ARRAY_API=1``); else scipy's on the host."""
        if self._library == "torch":
            import torch  # the array's own library: imported already

            return torch.special.erf(z)
        if self._library == "cupy":  # pragma: no cover - needs a GPU
            return scipy.special.erf(z)
        return self.asarray(scipy.special.erf(self.to_host(z)), dtype=z.dtype)

    def normal_cdf(self, z):
        """``Phi(z)`` in ``z``'s dtype (float32 on a device without float64)."""
        return 0.5 * (1.0 + self.erf(z / math.sqrt(2.0)))

    def normal_pdf(self, z):
        return self.xp.exp(-0.5 * z**2) / math.sqrt(2.0 * math.pi)

    def xlogy(self, x, y):
        """``x log(y)``, 0 where ``x`` is 0."""
        xp = self.xp
        safe = xp.where(x == 0, xp.ones_like(y), y)
        return xp.where(x == 0, xp.zeros_like(x), x * xp.log(safe))

    def rows(self, X, rows):
        """``X[rows, ...]`` for a slice ``rows``: the standard indexes every axis."""
        return X[rows, ...]

    def take_rows(self, X, rows, out=None):
        """``X[rows]``; ``rows`` a host array of indices."""
        return self.xp.take(X, self.asarray(rows), axis=0)

    def row_sums(self, a, keepdims=False):
        return self.xp.sum(a, axis=1, keepdims=keepdims)

    def row_max(self, a):
        return self.xp.max(a, axis=1, keepdims=True)

    def take_columns(self, a, columns):
        return self.xp.take(a, self.xp.asarray(columns, device=self.device), axis=1)

    def isnan(self, a, out=None):
        return self.xp.isnan(a)

    def keep(self, a, mask, out=None):
        return self.xp.where(mask, a, 0.0)

    def finfo_max(self, dtype):
        return float(self.xp.finfo(dtype).max)

    def rowdot(self, a, b):
        return self.xp.sum(a * b, axis=1)

    def scatter_add_rows(self, index, values, n_rows):
        """``out[index[i]] += values[i]``: a one-hot matrix product (the
        standard has no scatter-add)."""
        xp = self.xp
        levels = xp.arange(n_rows, device=self.device)
        one_hot = xp.astype(index[:, None] == levels[None, :], values.dtype)
        return one_hot.T @ values

    def average(self, a, weights=None):
        if weights is None:
            return float(self.xp.mean(a))
        return float(self.xp.sum(weights * a) / self.xp.sum(weights))

    def dot_value(self, a, b):
        """``a @ b`` of two vectors, as a 0-d array: it stays on the device."""
        return self.xp.sum(a * b)

    def result_dtype(self, *arrays):
        return self.xp.result_type(*(a.dtype for a in arrays))

    def all_finite(self, a):
        return bool(self.xp.all(self.xp.isfinite(a)))

    def abs_max(self, a):
        if not math.prod(a.shape):
            return 0.0
        largest, smallest = float(self.xp.max(a)), float(self.xp.min(a))
        return float(np.maximum(abs(largest), abs(smallest)))

    def asarray(self, a, dtype=None):
        """A host (numpy) array, or a number, as an array of ``xp`` on the device."""
        dtype = None if dtype is None else self.dtype(dtype)
        return self.xp.asarray(a, dtype=dtype, device=self.device)

    def to_host(self, a):
        return array_to_numpy(a)

    def astype(self, a, dtype):
        return self.xp.astype(a, self.dtype(dtype), copy=False)

    def empty(self, shape, dtype):
        return self.xp.empty(shape, dtype=self.dtype(dtype), device=self.device)

    def zeros(self, shape, dtype):
        return self.xp.zeros(shape, dtype=self.dtype(dtype), device=self.device)

    def ones(self, shape, dtype):
        return self.xp.ones(shape, dtype=self.dtype(dtype), device=self.device)

    def dtype(self, dtype):
        """The namespace's dtype for a numpy dtype (or a dtype of the namespace)."""
        if isinstance(dtype, (np.dtype, type, str)):
            return getattr(self.xp, np.dtype(dtype).name)
        return dtype

    def numpy_dtype(self, dtype):
        """The numpy dtype of the same name as the namespace's ``dtype``."""
        for name in ("float64", "float32", "float16", "int64", "int32", "bool"):
            if dtype == getattr(self.xp, name, None):
                return np.dtype(name)
        raise TypeError(f"No numpy dtype for {dtype!r}.")


#: The numpy functions: what a numpy network computes with.
NUMPY = NumpyOps()


def ops_for(*arrays):
    """The ``ops`` of the arrays' namespace and device: :data:`NUMPY` for numpy
    arrays and sparse matrices, an :class:`ArrayAPIOps` for any other array."""
    arrays = [a for a in arrays if a is not None and not scipy.sparse.issparse(a)]
    if all(isinstance(a, np.ndarray) for a in arrays):
        return NUMPY
    if array_api_compat is None:
        raise ImportError(
            f"Arrays of type {type(arrays[0]).__name__} need array-api-compat: "
            'pip install "skscratch[array-api]" (or array-api-compat).'
        )
    xp = array_api_compat.array_namespace(*arrays)
    if array_api_compat.is_numpy_namespace(xp):
        return NUMPY
    return ArrayAPIOps(xp, array_api_compat.device(arrays[0]))


def is_array_api_obj(a):
    """Whether ``a`` is an array of some array API library (not a sparse matrix)."""
    if array_api_compat is None:
        return isinstance(a, np.ndarray)
    return array_api_compat.is_array_api_obj(a) and not scipy.sparse.issparse(a)


def array_to_numpy(a):
    """A numpy array of ``a``, from any namespace and device (a copy off the host)."""
    if isinstance(a, np.ndarray) or array_api_compat is None:
        return np.asarray(a)
    library = _library(array_api_compat.array_namespace(a))
    if library == "torch":
        return a.detach().cpu().numpy()
    if library == "cupy":  # pragma: no cover - needs a GPU
        return a.get()
    if library == "array_api_strict":
        xp = array_api_compat.array_namespace(a)
        return np.asarray(xp.asarray(a, device=xp.Device("CPU_DEVICE")))
    return np.asarray(array_api_compat.to_device(a, "cpu"))


def _library(xp):
    name = xp.__name__
    for library in ("torch", "cupy", "array_api_strict"):
        if library in name:
            return library
    return name
