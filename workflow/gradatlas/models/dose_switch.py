"""Failure class (b): a discontinuity in time, solved across it or stepped onto it."""

from __future__ import annotations

import jax.numpy as jnp

from ._base import AbstractModel, Parameter, State, register_model

#: the time the dose is switched on (not on the uniform observation grid of 50 points over [0, 6])
T_DOSE = 2.5


class DoseSwitch(AbstractModel):
    r"""Elimination with a constant infusion switched on at t_d (one-compartment pharmacokinetics).

    .. math::
        \dot y = -k\,y + D\,H(t - t_d), \qquad y(0) = y_0 = 1,

    k = 0.5, D = 2, t_d = 2.5, t ∈ [0, 6]. The vector field jumps at t_d. Solved
    straight across it (``dose_switch``), the adaptive solver detects the jump only
    through rejected steps, and an accepted step straddles it. ``dose_switch_stepped``
    is the same model with t_d declared as a jump time: the step-size controller steps
    to just before and just after it (diffrax ``ClipStepSizeController(jump_ts=...)``,
    Julia's ``tstops``). Closed form: y = y0 e^{−kt} for t ≤ t_d and
    y = y0 e^{−kt} + (D/k)(1 − e^{−k(t − t_d)}) after. The switch time itself is not a
    parameter: an AD derivative with respect to the location of a discontinuity is
    lost (the derivative of H is zero almost everywhere), a separate failure class not
    in this atlas. Pattern of SciMLSensitivity.jl issue 273 (gradients through a
    dosing discontinuity).
    """

    category = "nonstiff"
    failure_class = "discontinuity"
    parameters = (Parameter("k", 0.5, "1/h"), Parameter("D", 2.0, "mg/L/h"))
    states = (State("y", 1.0, "mg/L"),)
    t1 = 6.0
    time_units = "h"
    atol_scale = 1.0

    def __init__(self, slug: str, jump_times: tuple[float, ...]):
        self.slug = slug
        self.jump_times = jump_times

    def rhs(self, t, y, p, np):
        k, dose = p[0], p[1]
        return np.stack([-k * y[0] + np.where(t >= T_DOSE, dose, 0.0)])

    def exact_solution(self, t, p):
        """Closed form y(t; p) for an array of times ``t`` (T,) -> (T, 1)."""
        k, dose = p[0], p[1]
        y0 = self.states[0].initial
        on = jnp.where(t > T_DOSE, dose / k * (1 - jnp.exp(-k * jnp.maximum(t - T_DOSE, 0.0))), 0.0)
        return (y0 * jnp.exp(-k * t) + on)[:, None]


register_model(DoseSwitch("dose_switch", jump_times=()))
register_model(DoseSwitch("dose_switch_stepped", jump_times=(T_DOSE,)))
