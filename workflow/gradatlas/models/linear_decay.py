from __future__ import annotations

import jax.numpy as jnp

from ._base import AbstractModel, Parameter, State, register_model


class LinearDecay(AbstractModel):
    r"""A two-compartment linear chain with a closed-form solution.

    .. math::
        \dot y_1 = -a\,y_1, \qquad \dot y_2 = a\,y_1 - b\,y_2, \qquad y(0) = (1, 0),

    so that :math:`y_1 = e^{-at}` and
    :math:`y_2 = \frac{a}{b-a}\,(e^{-at} - e^{-bt})` (for :math:`a \ne b`).
    The analytic solution (and so the analytic parameter gradient of any loss
    built from it) is the ground truth for tests. Any ODE textbook, e.g.
    Hairer, Nørsett & Wanner (1993), *Solving ODEs I*, §I.12.
    """

    slug = "linear_decay"
    category = "nonstiff"
    parameters = (Parameter("a", 1.0, "1/s"), Parameter("b", 2.0, "1/s"))
    states = (State("y1", 1.0), State("y2", 0.0))
    t1 = 5.0
    time_units = "s"
    atol_scale = 1.0

    def rhs(self, t, y, p, np):
        a, b = p[0], p[1]
        return np.stack([-a * y[0], a * y[0] - b * y[1]])

    def exact_solution(self, t, p):
        """Closed form y(t; p), for an array of times ``t`` (shape (T,)) -> (T, 2)."""
        a, b = p[0], p[1]
        y1 = jnp.exp(-a * t)
        y2 = a / (b - a) * (jnp.exp(-a * t) - jnp.exp(-b * t))
        return jnp.stack([y1, y2], axis=-1)


register_model(LinearDecay())
