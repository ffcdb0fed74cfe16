from ._base import AbstractModel, Parameter, State, register_model


class LotkaVolterra(AbstractModel):
    r"""Lotka–Volterra predator–prey model (non-stiff, periodic).

    .. math::
        \dot x = \alpha x - \beta x y, \qquad \dot y = \delta x y - \gamma y.

    Lotka (1925), *Elements of Physical Biology*; Volterra (1926), Nature 118:558.
    Parameters as in the DifferentialEquations.jl tutorial problem:
    α = 1.5, β = 1, γ = 3, δ = 1, (x, y)(0) = (1, 1), t ∈ [0, 10].
    """

    slug = "lotka_volterra"
    category = "nonstiff"
    parameters = (
        Parameter("alpha", 1.5, "1/time"),
        Parameter("beta", 1.0, "1/time"),
        Parameter("gamma", 3.0, "1/time"),
        Parameter("delta", 1.0, "1/time"),
    )
    states = (State("prey", 1.0), State("predator", 1.0))
    t1 = 10.0
    time_units = "time"
    atol_scale = 1.0

    def rhs(self, t, y, p, np):
        alpha, beta, gamma, delta = p[0], p[1], p[2], p[3]
        x, z = y[0], y[1]
        return np.stack([alpha * x - beta * x * z, delta * x * z - gamma * z])


register_model(LotkaVolterra())
