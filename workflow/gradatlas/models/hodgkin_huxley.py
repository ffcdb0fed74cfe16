from ..ops import bounded_exp, u_over_expm1
from ._base import AbstractModel, Parameter, State, register_model


class HodgkinHuxley(AbstractModel):
    r"""Hodgkin–Huxley squid axon, tonically spiking under a constant current.

    .. math::
        C \dot V &= I - g_{Na} m^3 h (V - E_{Na}) - g_K n^4 (V - E_K) - g_L (V - E_L) \\
        \dot x &= \alpha_x(V)(1 - x) - \beta_x(V)\,x, \qquad x \in \{n, m, h\}

    with (V in mV, t in ms, modern sign convention, rest ≈ −65 mV)
    α_n = 0.01 (V+55) / (1 − e^{−(V+55)/10}), β_n = 0.125 e^{−(V+65)/80},
    α_m = 0.1 (V+40) / (1 − e^{−(V+40)/10}), β_m = 4 e^{−(V+65)/18},
    α_h = 0.07 e^{−(V+65)/20}, β_h = 1 / (1 + e^{−(V+35)/10});
    C = 1 µF/cm², E_Na = 50, E_K = −77, E_L = −54.387 mV,
    g_Na = 120, g_K = 36, g_L = 0.3 mS/cm², I = 10 µA/cm².
    Hodgkin & Huxley (1952), J. Physiol. 117:500; constants as in Dayan & Abbott
    (2001), *Theoretical Neuroscience*, §5.6. The removable singularities of
    α_n, α_m are filled in, and exponents are capped, so the field stays finite
    for any V (rejected trial stages can reach |V| ~ 1e6).
    """

    slug = "hodgkin_huxley"
    category = "spiking"
    parameters = (
        Parameter("g_na", 120.0, "mS/cm^2"),
        Parameter("g_k", 36.0, "mS/cm^2"),
        Parameter("g_l", 0.3, "mS/cm^2"),
        Parameter("i_ext", 10.0, "uA/cm^2"),
    )
    states = (
        State("V", -65.0, "mV", fast=True),
        State("n", 0.3177, "1"),
        State("m", 0.0529, "1", fast=True),
        State("h", 0.5961, "1"),
    )
    t1 = 100.0
    time_units = "ms"
    atol_scale = 1e-3

    def rhs(self, t, y, p, np):
        g_na, g_k, g_l, i_ext = p[0], p[1], p[2], p[3]
        v, n, m, h = y[0], y[1], y[2], y[3]
        alpha_n = 0.1 * u_over_expm1(np, -(v + 55.0) / 10.0)
        beta_n = 0.125 * bounded_exp(np, -(v + 65.0) / 80.0)
        alpha_m = u_over_expm1(np, -(v + 40.0) / 10.0)
        beta_m = 4.0 * bounded_exp(np, -(v + 65.0) / 18.0)
        alpha_h = 0.07 * bounded_exp(np, -(v + 65.0) / 20.0)
        beta_h = 1.0 / (1.0 + bounded_exp(np, -(v + 35.0) / 10.0))
        i_ion = g_na * m**3 * h * (v - 50.0) + g_k * n**4 * (v + 77.0) + g_l * (v + 54.387)
        return np.stack(
            [
                i_ext - i_ion,
                alpha_n * (1.0 - n) - beta_n * n,
                alpha_m * (1.0 - m) - beta_m * m,
                alpha_h * (1.0 - h) - beta_h * h,
            ]
        )


register_model(HodgkinHuxley())
