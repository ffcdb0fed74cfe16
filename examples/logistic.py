# examples/logistic.py: a model from outside the package (README, "Adding a model")
from gradatlas import AbstractModel, Parameter, State, register_model


class Logistic(AbstractModel):
    """Logistic growth, dy/dt = r y (1 - y / K). Verhulst (1838), Correspondance
    mathématique et physique 10:113. Closed form: y(t) = K / (1 + (K / y0 - 1) exp(-r t))."""

    slug = "logistic"
    category = "nonstiff"  # nonstiff | stiff | spiking | chaotic
    parameters = (Parameter("r", 1.0, "1/day"), Parameter("K", 10.0, "cells"))
    states = (State("y", 0.5, "cells"),)
    t1 = 10.0
    time_units = "day"
    atol_scale = 1.0

    def rhs(self, t, y, p, np):  # np: elementwise namespace (exp, log, where, stack, ...)
        r, K = p[0], p[1]
        return np.stack([r * y[0] * (1.0 - y[0] / K)])


register_model(Logistic())
