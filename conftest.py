"""pytest set-up for the whole checkout (the tests and skscratch's doctests)."""

import importlib.util

# skscratch/onnx.py needs the onnx extra to import at all; without it, its
# doctest is left out rather than failing collection (tests/test_onnx.py then
# skips with the install command).
collect_ignore = (
    []
    if all(importlib.util.find_spec(name) for name in ("skl2onnx", "onnxruntime"))
    else ["skscratch/onnx.py"]
)
