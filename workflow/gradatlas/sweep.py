"""Run one atlas cell: a (model, solver, design, method) at every tolerance of a list.

All tolerances run through *one* compiled program (the tolerance is a traced
array). Compile time is measured once per cell (ahead-of-time lower + compile);
run time per tolerance is the median of ``repeats`` calls after compilation,
each ended by ``jax.block_until_ready``. Nothing numerical raises out of here:
failures come back as a :class:`~gradatlas.status.Status` with a message.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field

import equinox as eqx
import jax
import jax.numpy as jnp
import numpy as np

from .designs import DESIGNS
from .methods import METHODS
from .models import MODELS
from .problem import Observation, Problem
from .reference import Reference
from .scoring import score
from .status import Status, status_from_result


@dataclass
class CellResult:
    model: str
    solver: str
    design: str
    method: str
    rtols: np.ndarray  # (R,)
    param_names: list[str]
    grad: np.ndarray  # (R, P)
    ref_grad: np.ndarray  # (P,)
    loss: np.ndarray  # (R,)
    error: np.ndarray
    cosine: np.ndarray
    max_param_error: np.ndarray
    status: list[str]
    message: list[str]
    regime: list[str]
    n_steps: np.ndarray
    n_rejected: np.ndarray
    run_time: np.ndarray  # (R,) median, s
    run_times: np.ndarray  # (R, repeats), s
    compile_time: float  # s, trace + lower + compile, once for all tolerances
    trace_time: float  # s, the trace + lower part of compile_time
    reference_error: float
    scale: float
    extra: dict = field(default_factory=dict)


def build_program(problem: Problem, method, max_traces: int | None = None):
    """The whole value-and-gradient computation of one cell, under one ``filter_jit``."""

    def program(p, p0, rtol, data: Observation):
        obs, nominal = problem.design.observation(problem, p0, rtol, data)
        out = method.value_and_grad(problem, p, rtol, obs)
        return out._replace(info=nominal.merge(out.info))

    if max_traces is not None:
        program = eqx.debug.assert_max_traces(program, max_traces=max_traces)
    return eqx.filter_jit(program)


def run_cell(
    model: str,
    solver: str,
    design: str,
    method: str,
    rtols,
    reference: Reference,
    *,
    observe=None,
    max_steps: int = 50_000,
    repeats: int = 3,
    thresholds: dict | None = None,
    t1: float | None = None,
    max_traces: int | None = None,
) -> CellResult:
    m, d, meth = MODELS[model], DESIGNS[design], METHODS[method]
    rtols = np.asarray(rtols, dtype=float)
    if np.any(~(rtols > 0)):
        raise ValueError(f"tolerances must be positive, got {rtols.tolist()}")
    n_r, n_p = len(rtols), m.n_params
    problem = Problem(m, d, solver, observe, max_steps=max_steps, t1=t1)
    data = Observation(
        jnp.asarray(reference.ts),
        jnp.asarray(reference.targets),
        jnp.ones(len(reference.ts)),
    )
    p = jnp.asarray(reference.point)
    p0 = m.p0

    grad = np.full((n_r, n_p), np.nan)
    loss = np.full(n_r, np.nan)
    n_steps = np.zeros(n_r, dtype=np.int64)
    n_rej = np.zeros(n_r, dtype=np.int64)
    run_times = np.full((n_r, max(repeats, 1)), np.nan)
    status = [Status.FAILED.value] * n_r
    message = [""] * n_r
    compile_time = trace_time = np.nan

    program = build_program(problem, meth, max_traces)
    try:
        t_start = time.perf_counter()
        lowered = program.lower(p, p0, jnp.asarray(rtols[0]), data)
        t_lowered = time.perf_counter()
        compiled = lowered.compile()
        compile_time = time.perf_counter() - t_start
        trace_time = t_lowered - t_start
    except NotImplementedError as e:  # includes UnsupportedCombination
        status = [Status.UNSUPPORTED.value] * n_r
        message = [f"{type(e).__name__}: {e}"] * n_r
        compiled = None
    except Exception as e:  # a trace/compile error is a failed cell, not a dead sweep
        message = [f"{type(e).__name__}: {_first_line(e)}"] * n_r
        compiled = None

    if compiled is not None:
        for i, rtol in enumerate(rtols):
            rt = jnp.asarray(rtol)
            try:
                for k in range(max(repeats, 1)):
                    t_start = time.perf_counter()
                    out = jax.block_until_ready(compiled(p, p0, rt, data))
                    run_times[i, k] = time.perf_counter() - t_start
            except Exception as e:  # e.g. an equinox runtime error with EQX_ON_ERROR=raise
                message[i] = f"{type(e).__name__}: {_first_line(e)}"
                continue
            grad[i] = np.asarray(out.grad)
            loss[i] = float(out.loss)
            n_steps[i] = int(out.info.n_steps)
            n_rej[i] = int(out.info.n_rejected)
            finite = bool(np.all(np.isfinite(grad[i])) and np.isfinite(loss[i]))
            st, msg = status_from_result(int(out.info.result), finite)
            status[i], message[i] = st.value, msg

    ref_ok = reference.status == Status.OK
    ref_error = reference.error if ref_ok else np.inf
    scores = [
        score(grad[i], reference.grad, reference.scale, d.zero_gradient, ref_error,
              Status(status[i]), thresholds)
        for i in range(n_r)
    ]  # fmt: skip
    return CellResult(
        model=model,
        solver=solver,
        design=design,
        method=method,
        rtols=rtols,
        param_names=m.param_names,
        grad=grad,
        ref_grad=np.asarray(reference.grad),
        loss=loss,
        error=np.array([s.error for s in scores]),
        cosine=np.array([s.cosine for s in scores]),
        max_param_error=np.array([s.max_param_error for s in scores]),
        status=status,
        message=message,
        regime=[s.regime.value for s in scores],
        n_steps=n_steps,
        n_rejected=n_rej,
        run_time=np.nanmedian(run_times, axis=1) if compiled is not None else np.full(n_r, np.nan),
        run_times=run_times,
        compile_time=float(compile_time),
        trace_time=float(trace_time),
        reference_error=float(reference.error),
        scale=float(reference.scale),
    )


def _first_line(e: Exception) -> str:
    text = str(e).strip()
    return text.splitlines()[0] if text else ""
