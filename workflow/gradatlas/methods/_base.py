"""The differentiation-method base class and registry.

Every method has one signature, :meth:`AbstractMethod.value_and_grad`, traced
inside the cell's compiled program, and returns the same :class:`MethodOutput`.
A combination a method cannot do raises :class:`~gradatlas.status.UnsupportedCombination`
at trace time; the sweep records it as ``status="unsupported"``.
"""

from __future__ import annotations

import abc
from typing import ClassVar, NamedTuple

import jax

from .._registry import Registry
from ..problem import Observation, Problem, SolveInfo


class MethodOutput(NamedTuple):
    loss: jax.Array
    grad: jax.Array  # (n_params,)
    info: SolveInfo


class AbstractMethod(abc.ABC):
    slug: ClassVar[str]
    #: one line for reports: what the method does
    description: ClassVar[str]

    @abc.abstractmethod
    def value_and_grad(self, problem: Problem, p, rtol, obs: Observation) -> MethodOutput:
        """Loss and its gradient w.r.t. ``p`` at one (traced) tolerance."""


METHODS: Registry[AbstractMethod] = Registry("method")


def register_method(method: AbstractMethod) -> AbstractMethod:
    return METHODS.register(method.slug, method)
