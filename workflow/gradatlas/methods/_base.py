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
from ..status import UnsupportedCombination


class MethodOutput(NamedTuple):
    loss: jax.Array
    grad: jax.Array  # (n_params,)
    info: SolveInfo


class AbstractMethod(abc.ABC):
    slug: ClassVar[str]
    #: one line for reports: what the method does
    description: ClassVar[str]
    #: do the sensitivities (tangents, or the adjoint) enter an adaptive error norm? When not,
    #: the steps are chosen for the states alone and nothing controls the gradient's accuracy
    #: (the atlas's ``tangent_error_control`` coordinate; figures group methods by it)
    tangent_error_control: ClassVar[bool]
    #: True: ``value_and_grad`` is traced into the cell's one compiled JAX program.
    #: False: a host method (another library) that implements ``HostMethod``'s interface.
    traced: ClassVar[bool] = True
    #: the solver the method brings (a host method); "" when it uses the cell's diffrax solver
    own_solver: ClassVar[str] = ""

    @abc.abstractmethod
    def value_and_grad(self, problem: Problem, p, rtol, obs: Observation) -> MethodOutput:
        """Loss and its gradient w.r.t. ``p`` at one (traced) tolerance.

        Reach the design through ``problem`` (``solve_loss``, ``saveat``, ``clip_ts``, ``loss``),
        never through ``problem.design``: designs of one form share a compiled program.
        """


def reverse_mode(problem: Problem, p, rtol, obs: Observation, adjoint) -> MethodOutput:
    """``jax.value_and_grad`` of the design's loss through ``diffeqsolve`` with ``adjoint``."""
    import jax

    def f(q):
        return problem.solve_loss(q, rtol, obs, adjoint=adjoint)

    (loss, info), grad = jax.value_and_grad(f, has_aux=True)(p)
    return MethodOutput(loss, grad, info)


METHODS: Registry[AbstractMethod] = Registry("method")


def register_method(method: AbstractMethod) -> AbstractMethod:
    if not isinstance(getattr(method, "tangent_error_control", None), bool):
        raise TypeError(f"method {method.slug!r} must declare tangent_error_control = True or False")
    return METHODS.register(method.slug, method)


class HostMethod(AbstractMethod):
    """A method that runs outside JAX (e.g. SUNDIALS CVODES through CasADi).

    ``build`` is called once per tolerance (its time is the cell's compile time);
    the returned callable is what is timed.
    """

    traced = False

    def value_and_grad(self, problem, p, rtol, obs):
        raise UnsupportedCombination(f"{self.slug} runs outside JAX")

    def check(self, problem: Problem) -> None:
        """Raise UnsupportedCombination for a design the method cannot express."""

    @abc.abstractmethod
    def build(self, problem: Problem, ts, rtol: float):
        """Return (nominal(p) -> (states at ts (N, n), n_steps, n_rejected),
        make_loss_grad(targets) -> callable(p) -> (loss, grad))."""
