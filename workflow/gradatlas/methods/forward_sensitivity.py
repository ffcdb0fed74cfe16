import jax
import jax.numpy as jnp

from ..problem import solve_info
from ._base import AbstractMethod, MethodOutput, register_method


def sensitivity_solve(problem, p, rtol, obs):
    """Solve the augmented system z = (y, S = dy/dp) as *one* ODE.

    dS/dt = J_y S + J_p, with J from ``jax.jacfwd`` of the same vector field,
    S(0) = dy0/dp (zero unless the initial state depends on the parameters). The adaptive error norm covers states *and* sensitivities, as
    Julia's dual numbers and CVODES with full error control do.
    Returns (ys (N, n), S (N, n, n_params), SolveInfo).
    """
    n, n_p = problem.n_states, p.shape[0]

    def rhs(t, z, q):
        y, s = z[:n], z[n:].reshape(n, n_p)
        dy = problem.rhs(t, y, q)
        jy, jp = jax.jacfwd(problem.rhs, argnums=(1, 2))(t, y, q)
        return jnp.concatenate([dy, (jy @ s + jp).ravel()])

    p = jax.lax.stop_gradient(p)
    z0 = jnp.concatenate([problem.y0(p), jax.jacfwd(problem.y0)(p).ravel()])  # S(0) = dy0/dp
    sol = problem.solve(
        p,
        rtol,
        problem.saveat(obs),
        clip_ts=problem.clip_ts(obs),
        rhs=rhs,
        y0=z0,
    )
    ys = sol.ys[:, :n]
    sens = sol.ys[:, n:].reshape(ys.shape[0], n, n_p)
    return ys, sens, solve_info(sol)


class ForwardSensitivity(AbstractMethod):
    """Forward sensitivity equations with states and sensitivities under error control.

    This is what forward-mode dual numbers through an adaptive Julia solver do,
    and the method that reproduces the origin thread: the sensitivities change
    the step sequence, so observations at nominal step times become interpolants.
    """

    slug = "forward_sensitivity"
    description = "augmented (y, S) system; sensitivities in the error norm"
    tangent_error_control = True

    def value_and_grad(self, problem, p, rtol, obs):
        ys, sens, info = sensitivity_solve(problem, p, rtol, obs)
        loss, (dl_dy, dl_dp) = jax.value_and_grad(problem.loss, argnums=(0, 2))(ys, obs, p)
        grad = jnp.einsum("ti,tik->k", dl_dy, sens) + dl_dp  # + the loss's own dependence on p
        return MethodOutput(loss, grad, info)


register_method(ForwardSensitivity())
