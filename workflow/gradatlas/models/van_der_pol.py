from ._base import AbstractModel, Parameter, State, register_model


class VanDerPol(AbstractModel):
    r"""Van der Pol oscillator, registered in two instances.

    .. math::
        \dot x = v, \qquad \dot v = \mu (1 - x^2) v - x, \qquad (x, v)(0) = (2, 0).

    van der Pol (1926), Phil. Mag. 2:978. With μ = 1 (``van_der_pol``) it is a
    non-stiff limit cycle; with μ = 1000 (``van_der_pol_stiff``) it is the classic
    stiff relaxation oscillator of Hairer & Wanner (1996), *Solving ODEs II*,
    §IV.1, whose period is about (3 − 2 ln 2) μ ≈ 1614. The velocity v is fast
    during the jumps, x is slow.
    """

    category = "nonstiff"
    states = (State("x", 2.0), State("v", 0.0, fast=True))
    time_units = "1"
    atol_scale = 1.0

    def __init__(self, slug: str, mu: float, t1: float, category: str):
        self.slug = slug
        self.parameters = (Parameter("mu", mu, "1"),)
        self.t1 = t1
        self.category = category

    def rhs(self, t, y, p, np):
        mu = p[0]
        x, v = y[0], y[1]
        return np.stack([v, mu * (1.0 - x**2) * v - x])


register_model(VanDerPol("van_der_pol", mu=1.0, t1=20.0, category="nonstiff"))
register_model(VanDerPol("van_der_pol_stiff", mu=1000.0, t1=3000.0, category="stiff"))
