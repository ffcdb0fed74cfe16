"""A second backend for the model definitions: CasADi symbolics (for SUNDIALS CVODES).

Every model's single ``rhs(t, y, p, np)`` is evaluated with CasADi SX symbols
through :data:`CASADI_OPS`; no model is written twice.
"""

from __future__ import annotations

from types import SimpleNamespace

import casadi as ca

CASADI_OPS = SimpleNamespace(
    exp=ca.exp,
    log=ca.log,
    sqrt=ca.sqrt,
    abs=ca.fabs,
    sin=ca.sin,
    cos=ca.cos,
    tan=ca.tan,
    sinh=ca.sinh,
    cosh=ca.cosh,
    tanh=ca.tanh,
    where=ca.if_else,
    minimum=ca.fmin,
    maximum=ca.fmax,
    logical_and=ca.logic_and,
    logical_or=ca.logic_or,
    logical_not=ca.logic_not,
    stack=lambda xs: ca.vertcat(*xs),
    concatenate=lambda xs: ca.vertcat(*xs),
)


def symbolic_rhs(model, quadrature_of=None):
    """(t, y, p, f) as CasADi SX: f = model.rhs(t, y, p) (+ dq/dt = mean(y[obs]) if asked)."""
    n = model.n_states + (1 if quadrature_of is not None else 0)
    t = ca.SX.sym("t")
    y = ca.SX.sym("y", n)
    p = ca.SX.sym("p", model.n_params)
    f = model.rhs(t, [y[i] for i in range(model.n_states)], [p[i] for i in range(model.n_params)], CASADI_OPS)
    if quadrature_of is not None:
        q = sum(y[int(i)] for i in quadrature_of) / len(quadrature_of)
        f = ca.vertcat(f, q)
    return t, y, p, f


def symbolic_initial(model, p, quadrature: bool = False):
    """The initial state y(t0; p) as a CasADi expression of ``p`` (+ the quadrature's 0)."""
    x0 = model.initial([p[i] for i in range(model.n_params)], CASADI_OPS)
    return ca.vertcat(x0, 0.0) if quadrature else x0


def vector_field_function(model) -> ca.Function:
    t, y, p, f = symbolic_rhs(model)
    return ca.Function(f"{model.slug}_rhs", [t, y, p], [f])
