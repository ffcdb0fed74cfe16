"""Failure class (a): the solver's error estimate is blind to the tangents.

The states are integrated exactly, or nearly, so the error estimate is tiny and the
steps grow large; the parameter sensitivities are not smooth at all, and nothing
controls them unless they enter the error norm. Both models have closed-form
solutions, so their gradients are known exactly (``exact_solution``).
"""

from __future__ import annotations

import jax.numpy as jnp

from ._base import AbstractModel, Parameter, State, register_model


class EquilibriumStart(AbstractModel):
    r"""A state started at an equilibrium that depends on a parameter.

    .. math::
        \dot y = k\,(\theta - y), \qquad y(0) = c = 1,

    with k = 1, θ = 1 = c at the nominal point. There the state never moves
    (y ≡ 1), so an adaptive solver's error estimate is exactly zero and its steps grow
    tenfold each time; but the sensitivity ∂y/∂θ = 1 − e^{−kt} is not constant, and an
    explicit Runge–Kutta tangent taken with steps of size kh ≫ 1 is wrong. Closed form:
    y(t) = θ + (c − θ) e^{−kt}. Constructed for gradatlas as the simplest system
    started at an equilibrium that depends on the parameter; the failure pattern is
    the one discussed by Sapienza et al. (2024), "Differentiable programming for
    differential equations: a review", arXiv:2406.09699.
    """

    slug = "equilibrium_start"
    category = "nonstiff"
    failure_class = "tangent_blind"
    parameters = (Parameter("k", 1.0, "1/s"), Parameter("theta", 1.0, "1"))
    states = (State("y", 1.0, "1"),)
    t1 = 10.0
    time_units = "s"
    atol_scale = 1.0

    def rhs(self, t, y, p, np):
        k, theta = p[0], p[1]
        return np.stack([k * (theta - y[0])])

    def exact_solution(self, t, p):
        """Closed form y(t; p) for an array of times ``t`` (T,) -> (T, 1)."""
        k, theta = p[0], p[1]
        c = self.states[0].initial
        return (theta + (c - theta) * jnp.exp(-k * t))[:, None]


class SymmetricPair(AbstractModel):
    r"""Two states that pull apart, started on top of each other.

    .. math::
        \dot x = c\,(x - y), \qquad \dot y = c\,(y - x), \qquad x(0) = a,\; y(0) = b,

    with c = 1, a = b = 1 and t ∈ [0, 5] (the test script of Sapienza et al. (2024), arXiv:2406.09699,
    on forward-mode AD and error control). At the nominal point x ≡ y ≡ 1: the solver
    takes a handful of huge steps. But the difference d = x − y obeys d' = 2c d, so the
    sensitivities to the initial values grow like e^{2ct}:
    x = (s + d)/2, y = (s − d)/2 with s = a + b and d = (a − b) e^{2ct}. Observe x
    (the mean of x and y is s/2 and hides the growing mode).
    """

    slug = "symmetric_pair"
    category = "nonstiff"
    failure_class = "tangent_blind"
    parameters = (Parameter("c", 1.0, "1/s"), Parameter("a", 1.0, "1"), Parameter("b", 1.0, "1"))
    states = (State("x", 1.0, "1"), State("y", 1.0, "1"))
    t1 = 5.0
    time_units = "s"
    atol_scale = 1.0

    def rhs(self, t, y, p, np):
        c = p[0]
        return np.stack([c * (y[0] - y[1]), c * (y[1] - y[0])])

    def initial(self, p, np):
        return np.stack([p[1], p[2]])

    def exact_solution(self, t, p):
        """Closed form (x, y)(t; p) for an array of times ``t`` (T,) -> (T, 2)."""
        c, a, b = p[0], p[1], p[2]
        s, d = a + b, (a - b) * jnp.exp(2 * c * t)
        return jnp.stack([(s + d) / 2, (s - d) / 2], axis=-1)


register_model(EquilibriumStart())
register_model(SymmetricPair())
