"""skscratch._estimators.parameters: the one table of the estimators' parameters, and what
comes from it (signatures held to it, constraints, docstrings, the warm-start
message)."""

import inspect
import re

import numpy as np
import pytest
from sklearn.utils._param_validation import StrOptions

from skscratch import (
    ScratchMLPClassifier,
    ScratchMLPRegressor,
    TabularMLPClassifier,
    TabularMLPRegressor,
)
from skscratch._estimators.parameters import LAYER_SHAPING, PARAMETERS, defaults, parameters
from skscratch._input.input_layers import MISSING_VALUES, SCALINGS
from skscratch._training.config import SOLVERS
from skscratch.core.activations import HIDDEN_ACTIVATIONS
from skscratch.core.layers import PERIODIC_VARIANTS
from skscratch.core.losses import REGRESSION_LOSSES
from skscratch.core.mlp import PARAMETRIZATIONS
from skscratch.core.schedules import SCHEDULES

pytestmark = pytest.mark.filterwarnings(
    "ignore::sklearn.exceptions.ConvergenceWarning"  # small max_iter on purpose
)

#: Each estimator, its kind in the table, and whether its defaults are the recipe's.
ESTIMATORS = [
    (ScratchMLPClassifier, "classifier", False),
    (ScratchMLPRegressor, "regressor", False),
    (TabularMLPClassifier, "classifier", True),
    (TabularMLPRegressor, "regressor", True),
]


def _ids(value):
    return value.__name__ if isinstance(value, type) else None


@pytest.mark.parametrize(("cls", "kind", "tabular"), ESTIMATORS, ids=_ids)
def test_signature_is_the_tables(cls, kind, tabular):
    signature = inspect.signature(cls).parameters
    entries = parameters(kind)
    assert list(signature) == [p.name for p in entries]
    keyword_only = [p.kind == p.KEYWORD_ONLY for p in signature.values()]
    assert keyword_only == [not p.positional for p in entries]
    expected = defaults(kind, tabular)
    for name, parameter in signature.items():
        assert parameter.default == expected[name], name
        assert type(parameter.default) is type(expected[name]), name
    assert cls().get_params() == expected
    assert set(cls._parameter_constraints) == set(signature)


def _documented(docstring):
    """``[(name, shown default)]`` of a numpydoc docstring's Parameters section."""
    section = docstring.split("Parameters\n    ----------\n")[1].split(
        "\n    Attributes\n"
    )[0]
    return re.findall(r"^    (\w+) : .*, default=(.*)$", section, re.MULTILINE)


@pytest.mark.parametrize(("cls", "kind", "tabular"), ESTIMATORS, ids=_ids)
def test_docstring_documents_each_parameter_with_its_default(cls, kind, tabular):
    signature = inspect.signature(cls).parameters
    assert _documented(cls.__doc__) == [
        (name, repr(parameter.default)) for name, parameter in signature.items()
    ]


# Each parameter whose allowed strings are a registry's names.
REGISTRIES = {
    "solver": SOLVERS,
    "activation": HIDDEN_ACTIVATIONS,
    "learning_rate": SCHEDULES,
    "loss": REGRESSION_LOSSES,
    "handle_missing": MISSING_VALUES,
    "numeric_scaling": SCALINGS,
    "numeric_embedding": PERIODIC_VARIANTS,
    "parametrization": PARAMETRIZATIONS,
}


CONSTRAINTS = {
    **ScratchMLPClassifier._parameter_constraints,
    **ScratchMLPRegressor._parameter_constraints,
}


@pytest.mark.parametrize("name", sorted(REGISTRIES))
def test_allowed_values_are_the_registry_names(name):
    (options,) = [c for c in CONSTRAINTS[name] if isinstance(c, StrOptions)]
    assert options.options == set(REGISTRIES[name])


@pytest.mark.parametrize("entry", PARAMETERS, ids=lambda p: p.name)
def test_docstring_entry_names_every_allowed_string(entry):
    # A value added to a registry (a solver, a schedule ...) is documented too.
    if entry.name == "validation_scoring":
        return  # every scikit-learn scorer name: the entry points to them
    text = f"{entry.type} {entry.doc}"
    for constraint in entry.constraint:
        if isinstance(constraint, StrOptions):
            missing = [o for o in constraint.options if f"'{o}'" not in text]
            assert not missing, missing


# A change of each layer-shaping parameter: (parameters of the first fit, the change).
CHANGES = {
    "hidden_layer_sizes": ({}, {"hidden_layer_sizes": (6,)}),
    "embedding_dim": ({"categorical_features": [0]}, {"embedding_dim": 2}),
    "batch_norm": ({}, {"batch_norm": True}),
    "residual": ({"hidden_layer_sizes": (5, 5)}, {"residual": True}),
    "feature_scale": ({}, {"feature_scale": True}),
    "numeric_embedding": ({}, {"numeric_embedding": "plr"}),
    "numeric_embedding_frequencies": (
        {"numeric_embedding": "plr"},
        {"numeric_embedding_frequencies": 8},
    ),
    "numeric_embedding_dim": ({"numeric_embedding": "plr"}, {"numeric_embedding_dim": 3}),
    "parametrization": ({}, {"parametrization": "ntk"}),
    "ensemble_size": ({}, {"ensemble_size": 2}),
}


def _warm_started(iris, first, change):
    X, y = iris
    X = np.column_stack([np.arange(len(X)) % 3, X])  # a column of 3 categories
    params = {"hidden_layer_sizes": (5,), "max_iter": 2, "random_state": 0, **first}
    model = ScratchMLPClassifier(warm_start=True, **params).fit(X, y)
    return model.set_params(**change).fit(X, y)


@pytest.mark.parametrize("name", sorted(set(CHANGES) | set(LAYER_SHAPING)))
def test_warm_start_error_names_each_layer_shaping_parameter(iris, name):
    assert name in CHANGES, f"add a change of {name} to CHANGES"
    first, change = CHANGES[name]
    with pytest.raises(ValueError, match=rf"must keep [^.]*\b{name}\b"):
        _warm_started(iris, first, change)


def test_a_parameter_that_does_not_shape_the_layers_may_change_on_warm_start(iris):
    assert "numeric_embedding_sigma" not in LAYER_SHAPING
    change = {"numeric_embedding_sigma": 1.0, "activation": "tanh", "dropout": 0.3}
    model = _warm_started(iris, {"numeric_embedding": "plr"}, change)
    assert model.n_iter_ == 2
