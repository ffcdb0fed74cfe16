import diffrax
import jax
import jax.numpy as jnp

from ._base import AbstractMethod, MethodOutput, register_method, reverse_mode


class BacksolveAdjoint(AbstractMethod):
    """``jax.grad`` with ``BacksolveAdjoint``: optimise-then-discretise.

    The continuous adjoint equations are solved backwards in time together with
    the state, with the same solver and tolerances. Step counts are those of the
    forward solve.

    The forward solve is run once on its own first, and the backward pass is only
    attempted when it succeeded: after a failed forward solve (say ``max_steps`` at a
    tight tolerance) the backward solve starts from garbage, and each of its
    observation intervals can run to ``max_steps`` in turn (measured: more than
    10 minutes for one tolerance of lotka_volterra/nominal_steps/bosh3 at rtol 1e-12).
    """

    slug = "backsolve_adjoint"
    description = "continuous adjoint, state re-solved backwards"
    tangent_error_control = True

    def value_and_grad(self, problem, p, rtol, obs):
        loss, info = problem.solve_loss(jax.lax.stop_gradient(p), rtol, obs)

        def backward(_):
            return reverse_mode(problem, p, rtol, obs, diffrax.BacksolveAdjoint())

        def failed(_):
            return MethodOutput(loss, jnp.full_like(p, jnp.nan), info)

        return jax.lax.cond(info.result == 0, backward, failed, None)


register_method(BacksolveAdjoint())
