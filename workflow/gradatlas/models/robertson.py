from ._base import AbstractModel, Parameter, State, register_model


class Robertson(AbstractModel):
    r"""Robertson's stiff chemical kinetics.

    .. math::
        \dot y_1 &= -k_1 y_1 + k_3 y_2 y_3 \\
        \dot y_2 &= k_1 y_1 - k_3 y_2 y_3 - k_2 y_2^2 \\
        \dot y_3 &= k_2 y_2^2

    with k1 = 0.04, k2 = 3e7, k3 = 1e4, y(0) = (1, 0, 0), t ∈ [0, 40].
    Robertson (1966), in *Numerical Analysis: An Introduction*, pp. 178–182;
    Hairer & Wanner (1996), *Solving ODEs II*, §IV.1. y2 is the fast
    intermediate (≈ 3.6e-5 at its peak), so atol = 1e-3 rtol (tighter atol makes Kvaerno5 reject half its steps at rtol 1e-12).
    """

    slug = "robertson"
    category = "stiff"
    parameters = (
        Parameter("k1", 0.04, "1/s"),
        Parameter("k2", 3.0e7, "1/s"),
        Parameter("k3", 1.0e4, "1/s"),
    )
    states = (State("y1", 1.0), State("y2", 0.0, fast=True), State("y3", 0.0))
    t1 = 40.0
    time_units = "s"
    atol_scale = 1e-3

    def rhs(self, t, y, p, np):
        k1, k2, k3 = p[0], p[1], p[2]
        y1, y2, y3 = y[0], y[1], y[2]
        return np.stack(
            [
                -k1 * y1 + k3 * y2 * y3,
                k1 * y1 - k3 * y2 * y3 - k2 * y2**2,
                k2 * y2**2,
            ]
        )


register_model(Robertson())
