from ._base import AbstractModel, Parameter, State, register_model


class Lorenz63(AbstractModel):
    r"""The Lorenz (1963) system, the chaotic case.

    .. math::
        \dot x = \sigma (y - x), \qquad \dot y = x(\rho - z) - y, \qquad \dot z = xy - \beta z

    σ = 10, ρ = 28, β = 8/3, (x, y, z)(0) = (1, 1, 1). Lorenz (1963), J. Atmos.
    Sci. 20:130. Its largest Lyapunov exponent is ≈ 0.906 (Sprott 2003,
    *Chaos and Time-Series Analysis*), so tangents (forward sensitivities) grow
    like exp(0.906 t). The default horizon t1 = 10 keeps the reference meaningful.
    """

    slug = "lorenz63"
    category = "chaotic"
    parameters = (
        Parameter("sigma", 10.0, "1"),
        Parameter("rho", 28.0, "1"),
        Parameter("beta", 8.0 / 3.0, "1"),
    )
    states = (State("x", 1.0), State("y", 1.0), State("z", 1.0))
    t1 = 10.0
    atol_scale = 1.0

    def rhs(self, t, y, p, np):
        sigma, rho, beta = p[0], p[1], p[2]
        x, yy, z = y[0], y[1], y[2]
        return np.stack([sigma * (yy - x), x * (rho - z) - yy, x * yy - beta * z])


register_model(Lorenz63())
