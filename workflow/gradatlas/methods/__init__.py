"""Differentiation methods. Importing this package registers every built-in method."""

from . import (  # noqa: F401  (imported for their registrations)
    backsolve_adjoint,
    finite_difference,
    forward_jvp,
    forward_sensitivity,
    reverse_checkpoint,
)
from ._base import METHODS, AbstractMethod, MethodOutput, register_method

__all__ = ["METHODS", "AbstractMethod", "MethodOutput", "register_method"]
