from ..ops import boltzmann, bounded_exp
from ._base import AbstractModel, Parameter, State, register_model

_CONDUCTANCES = ("g_na", "g_cas", "g_cat", "g_a", "g_kca", "g_kd", "g_h", "g_leak")

#: The two published bursting conductance sets (mS/cm^2), in ``_CONDUCTANCES`` order.
PUBLISHED_SETS = {
    "set_a": (100.0, 3.0, 1.3, 5.0, 10.0, 20.0, 0.5, 0.01),
    "set_b": (700.0, 4.0, 2.0, 50.0, 40.0, 70.0, 0.03, 0.01),
}
#: The set that bursts regularly within 0–500 ms (checked by simulation; see
#: tests/test_models.py::test_stg_bursts and the README).
DEFAULT_SET = "set_b"

_GATES = ("m_na", "h_na", "m_cat", "h_cat", "m_cas", "h_cas", "m_a", "h_a", "m_kca", "m_kd", "m_h")


def _rise(np, v, base, amp, half, slope):
    """``base - amp / (1 + exp((v + half) / slope))``, the Liu et al. tau shape."""
    return base - amp * boltzmann(np, v, half, slope)


class StgLiu1998(AbstractModel):
    r"""The bursting, calcium-dependent STG neuron of Liu, Golowasch, Marder & Abbott
    (1998), J. Neurosci. 18:2309 (the model of the origin thread).

    13 states: V (mV), [Ca] (µM) and 11 gates; t in ms. With
    σ(a, b) = 1 / (1 + exp((V + a)/b)):

    .. math::
        C \dot V = -\sum_i \bar g_i m_i^{p_i} h_i^{q_i} (V - E_i) - g_L (V - E_L) + I_{ext},
        \qquad \dot x = (x_\infty(V) - x) / \tau_x(V)

    ======  ====  ==================  ==================================================
    current p, q  m∞ ; h∞             τm ; τh
    ======  ====  ==================  ==================================================
    Na      3, 1  σ(25.5,−5.29); σ(48.9,5.18)  1.32 − 1.26/(1+e^{(V+120)/−25});
                                       0.67/(1+e^{(V+62.9)/−10}) · (1.5 + 1/(1+e^{(V+34.9)/3.6}))
    CaT     3, 1  σ(27.1,−7.2); σ(32.1,5.5)    21.7 − 21.3/(1+e^{(V+68.1)/−20.5});
                                               105 − 89.8/(1+e^{(V+55)/−16.9})
    CaS     3, 1  σ(33,−8.1); σ(60,6.2)        1.4 + 7/(e^{(V+27)/10} + e^{(V+70)/−13});
                                               60 + 150/(e^{(V+55)/9} + e^{(V+65)/−16})
    A       3, 1  σ(27.2,−8.7); σ(56.9,4.9)    11.6 − 10.4/(1+e^{(V+32.9)/−15.2});
                                               38.6 − 29.2/(1+e^{(V+38.9)/−26.5})
    KCa     4     Ca/(Ca+3)·σ(28.3,−12.6)      90.3 − 75.1/(1+e^{(V+46)/−22.7})
    Kd      4     σ(12.3,−11.8)                7.2 − 6.4/(1+e^{(V+28.3)/−19.2})
    H       1     σ(70,6)                      272 + 1499/(1+e^{(V+42.2)/−8.73})
    ======  ====  ==================  ==================================================

    C = 1, E_Na = 50, E_K = −80 (A, KCa, Kd), E_H = −20, E_L = −50 mV,
    E_Ca = 12.2 ln(3000/[Ca]); τ_Ca d[Ca]/dt = −0.94 (I_CaT + I_CaS) − [Ca] + 0.05,
    τ_Ca = 20 ms; I_ext = 0. V(0) = −60, [Ca](0) = 0.05, gates 0; t ∈ [0, 500].
    Parameters: the eight maximal conductances (mS/cm²). ``stg_liu1998`` uses
    ``PUBLISHED_SETS[DEFAULT_SET]``; ``stg_liu1998_set_a`` the other published set. Off the trajectory the field stays finite:
    exponents are capped and [Ca] is floored inside log and the KCa factor.
    """

    category = "spiking"
    states = (
        State("V", -60.0, "mV", fast=True),
        State("Ca", 0.05, "uM"),
        *(State(g, 0.0, "1", fast=g in ("m_na", "h_na", "m_kd", "m_a")) for g in _GATES),
    )
    t1 = 500.0
    time_units = "ms"
    atol_scale = 1e-3

    def __init__(self, slug: str, conductance_set: str):
        self.slug = slug
        self.conductance_set = conductance_set
        self.parameters = tuple(
            Parameter(name, value, "mS/cm^2")
            for name, value in zip(_CONDUCTANCES, PUBLISHED_SETS[conductance_set], strict=True)
        )

    def rhs(self, t, y, p, np):
        g_na, g_cas, g_cat, g_a, g_kca, g_kd, g_h, g_leak = (p[i] for i in range(8))
        v, ca = y[0], y[1]
        m_na, h_na, m_cat, h_cat, m_cas, h_cas, m_a, h_a, m_kca, m_kd, m_h = (y[i] for i in range(2, 13))
        ca_pos = np.maximum(ca, 1e-9)
        e_ca = 12.2 * np.log(3000.0 / ca_pos)

        def sig(a, b):
            return boltzmann(np, v, a, b)

        x_inf = [
            sig(25.5, -5.29),  # m_na
            sig(48.9, 5.18),  # h_na
            sig(27.1, -7.2),  # m_cat
            sig(32.1, 5.5),  # h_cat
            sig(33.0, -8.1),  # m_cas
            sig(60.0, 6.2),  # h_cas
            sig(27.2, -8.7),  # m_a
            sig(56.9, 4.9),  # h_a
            ca_pos / (ca_pos + 3.0) * sig(28.3, -12.6),  # m_kca
            sig(12.3, -11.8),  # m_kd
            sig(70.0, 6.0),  # m_h
        ]
        tau = [
            _rise(np, v, 1.32, 1.26, 120.0, -25.0),
            0.67 * boltzmann(np, v, 62.9, -10.0) * (1.5 + boltzmann(np, v, 34.9, 3.6)),
            _rise(np, v, 21.7, 21.3, 68.1, -20.5),
            _rise(np, v, 105.0, 89.8, 55.0, -16.9),
            1.4 + 7.0 / (bounded_exp(np, (v + 27.0) / 10.0) + bounded_exp(np, (v + 70.0) / -13.0)),
            60.0 + 150.0 / (bounded_exp(np, (v + 55.0) / 9.0) + bounded_exp(np, (v + 65.0) / -16.0)),
            _rise(np, v, 11.6, 10.4, 32.9, -15.2),
            _rise(np, v, 38.6, 29.2, 38.9, -26.5),
            _rise(np, v, 90.3, 75.1, 46.0, -22.7),
            _rise(np, v, 7.2, 6.4, 28.3, -19.2),
            _rise(np, v, 272.0, -1499.0, 42.2, -8.73),
        ]
        gates = [m_na, h_na, m_cat, h_cat, m_cas, h_cas, m_a, h_a, m_kca, m_kd, m_h]

        i_na = g_na * m_na**3 * h_na * (v - 50.0)
        i_cat = g_cat * m_cat**3 * h_cat * (v - e_ca)
        i_cas = g_cas * m_cas**3 * h_cas * (v - e_ca)
        i_a = g_a * m_a**3 * h_a * (v + 80.0)
        i_kca = g_kca * m_kca**4 * (v + 80.0)
        i_kd = g_kd * m_kd**4 * (v + 80.0)
        i_h = g_h * m_h * (v + 20.0)
        i_leak = g_leak * (v + 50.0)
        dv = -(i_na + i_cat + i_cas + i_a + i_kca + i_kd + i_h + i_leak)
        dca = (-0.94 * (i_cat + i_cas) - ca + 0.05) / 20.0
        dgates = [(xi - x) / tx for xi, x, tx in zip(x_inf, gates, tau, strict=True)]
        return np.stack([dv, dca, *dgates])


register_model(StgLiu1998("stg_liu1998", DEFAULT_SET))
register_model(StgLiu1998("stg_liu1998_set_a", "set_a"))
