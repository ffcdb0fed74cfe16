from ._base import AbstractModel, Parameter, State, register_model


class FitzHughNagumo(AbstractModel):
    r"""FitzHugh–Nagumo: a slow–fast excitable system, here oscillating.

    .. math::
        \dot v = v - v^3/3 - w + I, \qquad \dot w = \varepsilon (v + a - b w)

    a = 0.7, b = 0.8, ε = 0.08, I = 0.5, (v, w)(0) = (−1, 1), t ∈ [0, 200].
    FitzHugh (1961), Biophys. J. 1:445; Nagumo, Arimoto & Yoshizawa (1962),
    Proc. IRE 50:2061. v is fast, w is slow.
    """

    slug = "fitzhugh_nagumo"
    category = "spiking"
    parameters = (
        Parameter("a", 0.7, "1"),
        Parameter("b", 0.8, "1"),
        Parameter("eps", 0.08, "1"),
        Parameter("current", 0.5, "1"),
    )
    states = (State("v", -1.0, fast=True), State("w", 1.0))
    t1 = 200.0
    atol_scale = 1.0

    def rhs(self, t, y, p, np):
        a, b, eps, current = p[0], p[1], p[2], p[3]
        v, w = y[0], y[1]
        return np.stack([v - v**3 / 3.0 - w + current, eps * (v + a - b * w)])


register_model(FitzHughNagumo())
