"""Failure class (c): an absolute tolerance above a state's scale."""

from __future__ import annotations

import jax.numpy as jnp

from ._base import AbstractModel, Parameter, State, register_model

#: the yield of the second state: it lives at about 1e-10
EPSILON = 1e-9


class TinyState(AbstractModel):
    r"""A two-step chain whose product is tiny: A → B at rate k1, with yield ε; B decays at k2.

    .. math::
        \dot y_1 = -k_1 y_1, \qquad \dot y_2 = \varepsilon\,k_1 y_1 - k_2 y_2,
        \qquad y(0) = (1, 0),

    k1 = 1, k2 = 10, ε = 1e-9, t ∈ [0, 5]; observe y2 (≈ 1e-10). Under the usual
    scaling atol = rtol × 1, the error test accepts any error in y2 below atol, which is
    far above y2 itself: the solution looks fine (y1 is accurate), but neither y2 nor its
    sensitivities are controlled until rtol is below y2's own scale (the pattern of
    PyBNF issue 546: gradients of species at nanomolar scale with a default atol).
    ``tiny_state_scaled`` is the same model with y2 expressed in units of ε (so of order
    0.1), the usual fix. Closed form: y1 = e^{−k1 t},
    y2 = s ε k1/(k2 − k1) (e^{−k1 t} − e^{−k2 t}) with s = 1 (s = 1/ε when scaled).
    The reference solves with atol = rtol × ``reference_atol_scale`` (1e-12 here), which
    does control y2.
    """

    category = "nonstiff"
    failure_class = "atol_scale"
    parameters = (Parameter("k1", 1.0, "1/s"), Parameter("k2", 10.0, "1/s"))
    t1 = 5.0
    time_units = "s"
    atol_scale = 1.0
    reference_atol_scale = 1e-12

    def __init__(self, slug: str, unit: float):
        self.slug = slug
        self.unit = unit  # y2 is stored in units of this many of y1's units
        self.states = (State("y1", 1.0, "1"), State("y2", 0.0, "1" if unit == 1.0 else f"{unit:g}"))

    def rhs(self, t, y, p, np):
        k1, k2 = p[0], p[1]
        return np.stack([-k1 * y[0], EPSILON / self.unit * k1 * y[0] - k2 * y[1]])

    def exact_solution(self, t, p):
        """Closed form (y1, y2)(t; p) for an array of times ``t`` (T,) -> (T, 2)."""
        k1, k2 = p[0], p[1]
        y1 = jnp.exp(-k1 * t)
        y2 = EPSILON / self.unit * k1 / (k2 - k1) * (jnp.exp(-k1 * t) - jnp.exp(-k2 * t))
        return jnp.stack([y1, y2], axis=-1)


register_model(TinyState("tiny_state", unit=1.0))
register_model(TinyState("tiny_state_scaled", unit=EPSILON))
