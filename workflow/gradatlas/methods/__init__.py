"""Differentiation methods. Importing this package registers every built-in method."""

from . import (  # noqa: F401  (imported for their registrations)
    backsolve_adjoint,
    cvodes_adjoint,
    cvodes_forward,
    finite_difference,
    forward_jvp,
    forward_sensitivity,
    reverse_checkpoint,
)
from ._base import METHODS, AbstractMethod, HostMethod, MethodOutput, register_method

__all__ = ["METHODS", "AbstractMethod", "HostMethod", "MethodOutput", "register_method"]
