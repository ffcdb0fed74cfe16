import diffrax
import jax

from ._base import AbstractMethod, MethodOutput, register_method


class ForwardJVP(AbstractMethod):
    """``jax.jacfwd`` through ``diffeqsolve`` with ``ForwardMode``.

    Tangents ride along with the primal, but diffrax's controller sees only the
    primal (``stop_gradient`` on the error estimate), so the differentiated run
    takes exactly the nominal steps: internal numerical differentiation (Bock 1981).
    """

    slug = "forward_jvp"
    description = "JAX forward mode; steps chosen by the primal alone"
    tangent_error_control = False

    def value_and_grad(self, problem, p, rtol, obs):
        def f(q):
            return problem.solve_loss(q, rtol, obs, adjoint=diffrax.ForwardMode())

        grad, (loss, info) = jax.jacfwd(lambda q: _with_aux(f(q)), has_aux=True)(p)
        return MethodOutput(loss, grad, info)


def _with_aux(loss_info):
    loss, info = loss_info
    return loss, (loss, info)


register_method(ForwardJVP())
