from ._base import AbstractModel, Parameter, State, register_model


class Hires(AbstractModel):
    r"""HIRES: "High Irradiance RESponse" of plant morphogenesis (8 states, stiff).

    .. math::
        \dot y_1 &= -k_1 y_1 + k_2 y_2 + k_3 y_3 + o_{ks} \\
        \dot y_2 &= k_1 y_1 - (k_2 + k_3) y_2 \\
        \dot y_3 &= -(k_6 + k_1) y_3 + k_2 y_4 + k_5 y_5 \\
        \dot y_4 &= k_3 y_2 + k_1 y_3 - (k_2 + k_4) y_4 \\
        \dot y_5 &= -(k_1 + k_5) y_5 + k_2 y_6 + k_2 y_7 \\
        \dot y_6 &= -k_7 y_6 y_8 + k_4 y_4 + k_1 y_5 - k_2 y_6 + k_9 y_7 \\
        \dot y_7 &= k_7 y_6 y_8 - (k_2 + k_9 + k_8) y_7 \\
        \dot y_8 &= -k_7 y_6 y_8 + (k_2 + k_9 + k_8) y_7

    with k1 = 1.71, k2 = 0.43, k3 = 8.32, k4 = 0.69, k5 = 0.035, k6 = 8.32,
    k7 = k+ = 280, k8 = k− = 0.69, k9 = k* = 0.69, oks = 0.0007, which gives
    exactly the numeric right-hand side of the Test Set for IVP Solvers (Mazzia &
    Magherini, release 2.4, problem HIRES; Schäfer 1975). y(0) = (1, 0, 0, 0, 0,
    0, 0, 0.0057), t ∈ [0, 321.8122].
    """

    slug = "hires"
    category = "stiff"
    parameters = (
        Parameter("k1", 1.71, "1/time"),
        Parameter("k2", 0.43, "1/time"),
        Parameter("k3", 8.32, "1/time"),
        Parameter("k4", 0.69, "1/time"),
        Parameter("k5", 0.035, "1/time"),
        Parameter("k6", 8.32, "1/time"),
        Parameter("k7", 280.0, "1/(conc time)"),
        Parameter("k8", 0.69, "1/time"),
        Parameter("k9", 0.69, "1/time"),
        Parameter("oks", 0.0007, "conc/time"),
    )
    states = tuple(
        State(f"y{i + 1}", v, "conc", fast=(i in (5, 6, 7)))
        for i, v in enumerate([1.0, 0, 0, 0, 0, 0, 0, 0.0057])
    )
    t1 = 321.8122
    time_units = "time"
    atol_scale = 1e-4

    def rhs(self, t, y, p, np):
        k1, k2, k3, k4, k5, k6, k7, k8, k9, oks = (p[i] for i in range(10))
        y1, y2, y3, y4, y5, y6, y7, y8 = (y[i] for i in range(8))
        r = k7 * y6 * y8
        return np.stack(
            [
                -k1 * y1 + k2 * y2 + k3 * y3 + oks,
                k1 * y1 - (k2 + k3) * y2,
                -(k6 + k1) * y3 + k2 * y4 + k5 * y5,
                k3 * y2 + k1 * y3 - (k2 + k4) * y4,
                -(k1 + k5) * y5 + k2 * y6 + k2 * y7,
                -r + k4 * y4 + k1 * y5 - k2 * y6 + k9 * y7,
                r - (k2 + k9 + k8) * y7,
                -r + (k2 + k9 + k8) * y7,
            ]
        )


register_model(Hires())
