"""Verified reference gradients, one per (model, design, observed states).

The reference solves the forward sensitivity equations (states and
sensitivities under error control) with a high-order solver suited to the
model (``model.reference_solver``: Dopri8 unless the model is stiff, then
Kvaerno5) at ``rtol`` ~1e-12, forced onto the observation times. Its own error
is estimated from an independent second solve at ``check_rtol`` (100x looser by
default): ``error = ||g(rtol) - g(check_rtol)|| / ||g(rtol)||``. The second
solve is far less accurate than the first, so the estimate is conservative.

For designs whose correct gradient is zero the reference is exactly zero; what
is computed is the local gradient *scale*: the gradient norm at p0 (1 + 1e-3)
on the uniform grid with targets from the reference solution at p0.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field

import jax.numpy as jnp
import numpy as np

from .designs import DESIGNS
from .methods.forward_sensitivity import ForwardSensitivity
from .models import MODELS
from .problem import Observation, Problem, solve_info
from .settings import ReferenceSettings
from .status import Status, status_from_result


@dataclass
class Reference:
    model: str
    design: str
    observe: list[str]
    parameters: list[str]  # what the gradient is taken with respect to
    solver: str
    rtol: float
    check_rtol: float
    point: np.ndarray  # where the gradient is taken
    grad: np.ndarray  # reference gradient (zeros for zero-gradient designs)
    grad_check: np.ndarray  # gradient of the second, independent solve
    scale: float  # ||grad||, or the local gradient scale for zero-gradient designs
    error: float  # estimated relative error of grad (of the scale, for zero designs)
    zero_gradient: bool
    against_scale: bool  # scored as ||g - grad|| / scale (zero and near-zero gradients), else relative
    ts: np.ndarray  # observation times handed to cells (uniform grid)
    targets: np.ndarray  # targets handed to cells (data_fit)
    t1: float  # end of the time span
    status: str = Status.OK
    message: str = ""
    delta: np.ndarray = field(default_factory=lambda: np.zeros(0))

    def digest(self) -> str:
        """What a cell computed against: the point, observation times, targets and span."""
        h = hashlib.sha256()
        for a in (self.point, self.ts, self.targets, np.asarray([self.t1])):
            h.update(np.ascontiguousarray(a, dtype=np.float64).tobytes())
        h.update(" ".join(self.observe).encode())
        h.update(" ".join(self.parameters).encode())
        return h.hexdigest()[:16]


def reference_atol_scale(model) -> float:
    """The reference's atol scale: the model's ``reference_atol_scale``, else its ``atol_scale``."""
    return model.atol_scale if model.reference_atol_scale is None else model.reference_atol_scale


def perturbation(n_params: int, seed: int, size: float) -> np.ndarray:
    """δ for data_fit: ``size`` x standard normal, drawn once from ``seed``."""
    return size * np.random.default_rng(seed).standard_normal(n_params)


def compute_reference(s: ReferenceSettings) -> Reference:
    model, design, rtol = s.model, s.design, s.rtol
    m = MODELS[model].restricted(s.parameters)
    d = DESIGNS[design]
    check_rtol = s.check_rtol
    solver = m.reference_solver
    observe = s.observe if isinstance(s.observe, str) else list(s.observe)
    prob = Problem(m, d, solver, observe, max_steps=s.max_steps, t1=s.t1, force_clip=True,
                   atol_scale=reference_atol_scale(m))  # fmt: skip
    n_obs_states = len(prob.observe)
    p0 = np.asarray(m.p0)
    delta = perturbation(m.n_params, s.seed, s.delta)

    d.check(m)
    ts = jnp.asarray(d.times(prob, s.n_obs), dtype=jnp.float64)

    def targets_at(p, tol, ts):
        sol = prob.solve(p, tol, prob.saveat(Observation(ts, None, None)), clip_ts=ts)
        return sol.ys[:, prob.observe], *solve_info(sol)

    def grad_at(p, tol, *obs):
        out = ForwardSensitivity().value_and_grad(prob, p, tol, Observation(*obs))
        return out.grad, out.info.result

    failures = []

    def run(p, obs):
        args = (jnp.asarray(p), jnp.asarray(rtol), *obs)
        compiled = prob.compile(grad_at, args, program="reference_gradient")[0]
        out = [compiled(args[0], jnp.asarray(tol), *obs) for tol in (rtol, check_rtol)]
        for grad, result in out:
            st, msg = status_from_result(result, bool(np.all(np.isfinite(grad))))
            if st != Status.OK:
                failures.append((st, msg))
        return np.asarray(out[0][0]), np.asarray(out[1][0])

    if d.model_objective:  # the model's objective holds its measurements: no targets
        targets = jnp.zeros((len(ts), n_obs_states))
        obs = Observation(ts, targets, jnp.ones_like(ts))
    elif d.observes_trajectory:
        args = (jnp.asarray(p0), jnp.asarray(rtol), ts)
        targets, result, _, _ = prob.compile(targets_at, args, program="reference_targets")[0](*args)
        st, msg = status_from_result(result, bool(np.all(np.isfinite(targets))))
        if st != Status.OK:
            failures.append((st, msg))
        obs = Observation(ts, targets, jnp.ones_like(ts))
    else:
        targets = jnp.zeros((1, n_obs_states))
        obs = prob.empty_observation()

    def norm_error(g, g_check, size):
        return float(np.linalg.norm(g - g_check) / size) if size > 0 else np.inf

    if d.zero_gradient:
        point = p0
        g_scale, g_scale_check = run(d.scale_point(p0), obs)
        grad = np.zeros_like(p0)
        grad_check = np.zeros_like(p0)
        scale = float(np.linalg.norm(g_scale))
        error = norm_error(g_scale, g_scale_check, scale)
        hand_targets = np.zeros((len(ts), n_obs_states))  # cells make their own targets
    else:
        point = d.point(m, p0, delta)
        grad, grad_check = run(point, obs)
        hand_targets = np.asarray(targets)
        if d.against_scale:  # a near-zero gradient: judged against the gradients nearby
            g_scale, g_scale_check = run(d.scale_point(point), obs)
            scale = float(np.linalg.norm(g_scale))
            error = max(norm_error(grad, grad_check, scale), norm_error(g_scale, g_scale_check, scale))
        else:
            scale = float(np.linalg.norm(grad))
            error = norm_error(grad, grad_check, scale)

    status, message = failures[0] if failures else (Status.OK, "")
    if status in (Status.MAX_STEPS, Status.FAILED):  # a vector field gone NaN reads like max_steps
        why = prob.nonfinite_probe(jnp.asarray(point), jnp.asarray(rtol))
        if why:
            status, message = Status.NONFINITE, why
    return Reference(
        model=model,
        design=design,
        observe=[m.state_names[i] for i in prob.observe],
        parameters=m.param_names,
        solver=solver,
        rtol=rtol,
        check_rtol=check_rtol,
        point=np.asarray(point),
        grad=grad,
        grad_check=grad_check,
        scale=scale,
        error=error,
        zero_gradient=d.zero_gradient,
        against_scale=d.against_scale,
        ts=np.asarray(ts),
        targets=hand_targets,
        t1=prob.t1,
        status=str(status),
        message=message,
        delta=delta,
    )


#: the loosest tolerance the CVODES cross-check tries before giving up
CHECK_LOOSEST_RTOL = 1e-6


def cvodes_cross_check(ref: Reference, s: ReferenceSettings) -> dict:
    """Recompute what a reference computed with SUNDIALS CVODES (forward sensitivities
    through CasADi), an implementation nobody here wrote.

    At the tightest workable tolerance (the reference's rtol, then 10x looser up to
    ``CHECK_LOOSEST_RTOL``), with CVODES's own error estimate (against a 100x looser
    CVODES solve), with the reference's step budget ``s.max_steps``.
    Relative-error designs: ``||g_cvodes - g_ref|| / ||g_ref||`` at the reference's point
    and targets. Zero-gradient designs (whose reference is exactly 0): the local gradient
    scale, with CVODES's own targets at p0: ``| ||g_cvodes|| - scale | / scale``.
    """
    from .methods import METHODS
    from .models.preflight import casadi_problem

    m, d = MODELS[ref.model].restricted(s.parameters), DESIGNS[ref.design]
    prob = Problem(m, d, ref.solver, ref.observe, max_steps=s.max_steps, t1=ref.t1,
                   atol_scale=reference_atol_scale(m))  # fmt: skip
    meth = METHODS["cvodes_forward"]
    p0 = np.asarray(m.p0)
    out = {"cvodes_rtol": np.nan, "cvodes_error": np.nan, "cvodes_disagreement": np.nan, "cvodes_message": ""}
    reason = casadi_problem(m)
    if reason:
        out["cvodes_message"] = f"no CVODES check: {reason}"
        return out

    def solve(tol):
        nominal, make_loss_grad = meth.build(prob, ref.ts, tol)
        if d.zero_gradient:
            targets = nominal(p0)[0][:, prob.observe]
            g = make_loss_grad(targets)(d.scale_point(p0))[1]
            return g, abs(np.linalg.norm(g) - ref.scale) / ref.scale, np.linalg.norm(g)
        g = make_loss_grad(ref.targets)(ref.point)[1]
        size = ref.scale if ref.against_scale else np.linalg.norm(ref.grad)
        return g, np.linalg.norm(g - ref.grad) / size, g

    tol = ref.rtol
    while tol <= CHECK_LOOSEST_RTOL:
        try:
            g, disagreement, compare = solve(tol)
            g_loose, _, compare_loose = solve(tol * 100)
        except RuntimeError as e:
            out["cvodes_message"] = f"rtol {tol:.0e}: {str(e).strip().splitlines()[-1]}"
            tol *= 10
            continue
        size = np.linalg.norm(compare)
        out.update(
            cvodes_rtol=tol,
            cvodes_error=float(np.linalg.norm(np.asarray(compare) - np.asarray(compare_loose)) / size)
            if size > 0 else np.inf,
            cvodes_disagreement=float(disagreement),
        )  # fmt: skip
        return out
    return out
