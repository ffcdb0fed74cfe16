import diffrax
import jax

from ._base import AbstractMethod, MethodOutput, register_method


class BacksolveAdjoint(AbstractMethod):
    """``jax.grad`` with ``BacksolveAdjoint``: optimise-then-discretise.

    The continuous adjoint equations are solved backwards in time together with
    the state, with the same solver and tolerances. Step counts are those of the
    forward solve.
    """

    slug = "backsolve_adjoint"
    description = "continuous adjoint, state re-solved backwards"

    def value_and_grad(self, problem, p, rtol, obs):
        def f(q):
            return problem.solve_loss(q, rtol, obs, adjoint=diffrax.BacksolveAdjoint())

        (loss, info), grad = jax.value_and_grad(f, has_aux=True)(p)
        return MethodOutput(loss, grad, info)


register_method(BacksolveAdjoint())
