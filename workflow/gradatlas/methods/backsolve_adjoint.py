import diffrax

from ._base import AbstractMethod, register_method, reverse_mode


class BacksolveAdjoint(AbstractMethod):
    """``jax.grad`` with ``BacksolveAdjoint``: optimise-then-discretise.

    The continuous adjoint equations are solved backwards in time together with
    the state, with the same solver and tolerances. Step counts are those of the
    forward solve.
    """

    slug = "backsolve_adjoint"
    description = "continuous adjoint, state re-solved backwards"

    def value_and_grad(self, problem, p, rtol, obs):
        return reverse_mode(problem, p, rtol, obs, diffrax.BacksolveAdjoint())


register_method(BacksolveAdjoint())
