import jax
import jax.numpy as jnp

from ..problem import SolveInfo
from ._base import AbstractMethod, MethodOutput, register_method


def fd_steps(p, rtol):
    """Central-difference steps h_j = rtol^(1/3) * max(|p_j|, 1e-8).

    The computed loss carries solver noise of relative size ~rtol, and central
    differences have truncation error O(h^2): balancing the two gives h ~ noise^(1/3)
    (Press et al., *Numerical Recipes*, §5.7), scaled by the parameter's magnitude.
    """
    return jnp.cbrt(rtol) * jnp.maximum(jnp.abs(p), 1e-8)


class FiniteDifference(AbstractMethod):
    """Central differences of the whole adaptive computation (2 n_params + 1 solves, vmapped).

    Step counts are summed over all solves.
    """

    slug = "finite_difference"
    description = "central differences of the adaptive solve"
    tangent_error_control = False

    def value_and_grad(self, problem, p, rtol, obs):
        n_p = p.shape[0]
        h = fd_steps(p, rtol)
        eye = jnp.eye(n_p)
        points = jnp.concatenate([p[None], p + h[:, None] * eye, p - h[:, None] * eye])
        losses, infos = jax.vmap(lambda q: problem.solve_loss(q, rtol, obs))(points)
        grad = (losses[1 : n_p + 1] - losses[n_p + 1 :]) / (2.0 * h)
        failed = infos.result != 0
        result = jnp.where(jnp.any(failed), infos.result[jnp.argmax(failed)], 0)
        info = SolveInfo(result, jnp.sum(infos.n_steps), jnp.sum(infos.n_rejected))
        return MethodOutput(losses[0], grad, info)


register_method(FiniteDifference())
