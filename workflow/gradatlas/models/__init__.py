"""The model zoo. Importing this package registers every built-in model."""

from . import (  # noqa: F401  (imported for their registrations)
    dose_switch,
    fitzhugh_nagumo,
    hires,
    hodgkin_huxley,
    linear_decay,
    lorenz63,
    lotka_volterra,
    pollution,
    robertson,
    stg_liu1998,
    tangent_blind,
    tiny_state,
    van_der_pol,
)
from ._base import MODELS, AbstractModel, Parameter, State, load_model_file, register_model

__all__ = [
    "MODELS",
    "AbstractModel",
    "Parameter",
    "State",
    "load_model_file",
    "register_model",
]
