"""SUNDIALS CVODES through CasADi: shared machinery of cvodes_forward and cvodes_adjoint.

The model's single vector-field definition is evaluated with CasADi symbols
(:mod:`gradatlas.casadi_backend`). Tolerances map to CVODES ``reltol`` and
``abstol = rtol x atol_scale``; ``max_num_steps`` is the config's ``max_steps``.
In CasADi 3.8.2 forward sensitivities are always error-controlled
(``fsens_err_con`` is accepted but ignored), so it is not set.
"""

from __future__ import annotations

import numpy as np

from ..problem import Problem
from ..status import UnsupportedCombination
from ._base import HostMethod


class CvodesMethod(HostMethod):
    #: reverse (adjoint) mode, else forward sensitivities
    reverse: bool = False
    own_solver = "cvodes_bdf"

    def check(self, problem: Problem) -> None:
        from ..models.preflight import casadi_problem

        reason = casadi_problem(problem.model)
        if reason:
            raise UnsupportedCombination(f"model {problem.model.slug!r}: {reason}")
        if problem.jump_ts:
            raise UnsupportedCombination(
                f"model {problem.model.slug!r} declares jump times {list(problem.jump_ts)}, and CasADi's CVODES "
                "interface cannot force steps onto them (no tstop)"
            )
        if problem.clip:
            raise UnsupportedCombination(
                "CasADi's CVODES interface returns output times by interpolation and cannot "
                "force steps onto them (no tstop per output time)"
            )

    def build(self, problem: Problem, ts, rtol: float):
        import casadi as ca

        from ..casadi_backend import CASADI_OPS, symbolic_initial, symbolic_rhs

        m = problem.model
        quad = problem.observe if problem.quadrature else None
        t, y, p, f = symbolic_rhs(m, quadrature_of=quad)
        opts = {
            "abstol": float(rtol * problem.atol_scale),
            "reltol": float(rtol),
            "max_num_steps": int(problem.max_steps),
        }
        integ = ca.integrator(
            "F", "cvodes", {"t": t, "x": y, "p": p, "ode": f}, problem.t0, [float(s) for s in ts], opts
        )
        n_p = m.n_params
        x0_of = ca.Function("x0", [p], [symbolic_initial(m, p, problem.quadrature)])
        obs = [int(i) for i in problem.observe]

        def nominal(pv):
            xs = np.asarray(integ(x0=x0_of(np.asarray(pv)), p=np.asarray(pv))["xf"])
            st = integ.stats()
            return xs.T, int(st.get("nsteps", -1)), int(st.get("netfails", -1))

        def make_loss_grad(targets):
            P = ca.MX.sym("p", n_p)
            X = integ(x0=x0_of(P), p=P)["xf"]  # (n, N)
            if problem.design.model_objective:  # a PEtab problem's objective
                L = m.objective(lambda j: X[:, j], P, CASADI_OPS)
            elif problem.design.observes_trajectory:
                R = X[obs, :] - ca.DM(np.asarray(targets).T)
                L = ca.sumsqr(R) / (R.numel())
            elif problem.quadrature:
                L = X[-1, -1] / (problem.t1 - problem.t0)
            else:
                L = ca.sum1(X[obs, -1]) / len(obs)
            grad = (
                ca.jtimes(L, P, ca.DM(1.0), True) if self.reverse else ca.jtimes(L, P, ca.DM.eye(n_p), False)
            )
            fn = ca.Function("loss_grad", [P], [L, grad])

            def call(pv):
                out = fn(np.asarray(pv))
                return float(out[0]), np.asarray(out[1]).ravel()

            return call

        return nominal, make_loss_grad
