"""Run one atlas cell: a (model, solver, design, method) at every tolerance of a list.

All tolerances run through *one* compiled program (the tolerance is a traced
array). The design's observations (for nominal_steps and uniform: a nominal solve
per tolerance, in a program shared by all methods) are computed first, outside
that program; their time is ``prepare_time``. Compile time is measured once per
cell (trace or load from the trace cache, lower, compile).

Run times are steady-state figures. The first calls of a freshly compiled program
are slow (measured in a fork-server worker on lotka_volterra: 0.86 and 0.26 ms for
the first two calls, 0.14 ms from the third on; later tolerances of the same program
are steady from their first call). So before any call is timed, the program is called
``WARMUP_CALLS`` times untimed at the first tolerance (the loosest of the grid, so the
cheapest call); that time is ``warmup_time``. A warm-up call that takes ``repeat_below``
seconds or longer ends the warm-up and counts as that tolerance's timed call: the
first-call effect (well under a millisecond above) is below 1 % of it, and calling it
again would only repeat the most expensive part of the warm-up. A host method (CVODES)
builds a new callable per tolerance, and each one gets its own warm-up calls. Then each
tolerance is timed up to ``repeats`` times, each call ended by ``jax.block_until_ready``;
a call that takes ``repeat_below`` seconds or longer is not repeated (its relative
timing noise is already small). ``run_time`` is the median of the timed calls: the
gradient's cost alone, without compilation, observations or warm-up.

The cell is not scored here: the sweep file holds gradients, statuses, step counts
and timings, and the aggregation scores them against the reference (so a change of
the thresholds reruns nothing but the aggregation). Nothing numerical raises out of
here: failures come back as a :class:`~gradatlas.status.Status` with a message.
"""

from __future__ import annotations

import math
import threading
import time
from dataclasses import dataclass

import equinox as eqx
import jax
import jax.numpy as jnp
import numpy as np

from .designs import DESIGNS
from .methods import METHODS
from .methods._base import MethodOutput
from .models import MODELS
from .problem import Observation, Problem, SolveInfo
from .reference import Reference
from .settings import SweepSettings
from .status import Status, status_from_result

#: untimed calls of a new program (or host callable) before any call is timed
WARMUP_CALLS = 2


@dataclass
class CellResult:
    model: str
    solver: str
    design: str
    method: str
    rtols: np.ndarray  # (R,)
    param_names: list[str]
    grad: np.ndarray  # (R, P)
    loss: np.ndarray  # (R,)
    status: list[str]
    message: list[str]
    n_steps: np.ndarray
    n_rejected: np.ndarray
    run_time: np.ndarray  # (R,) median of the timed calls, s
    run_times: np.ndarray  # (R, repeats), s
    compile_time: float  # s, trace + lower + compile, once for all tolerances
    trace_time: float  # s, the trace + lower part of compile_time
    prepare_time: float  # s, the design's observations (nominal solves and their compile)
    warmup_time: float  # s, the untimed warm-up calls
    reference_digest: str  # which reference the cell was computed against
    #: a call ran past the cell's time limit and is still running in a thread: the caller
    #: must write the result and end the process (nothing else can run on XLA's one thread)
    abandoned: bool = False


def build_program(problem: Problem, method, max_traces: int | None = None):
    """The whole value-and-gradient computation of one cell, under one ``filter_jit``."""

    def program(p, rtol, obs: Observation) -> MethodOutput:
        return method.value_and_grad(problem, p, rtol, obs)

    if max_traces is not None:
        program = eqx.debug.assert_max_traces(program, max_traces=max_traces)
    return eqx.filter_jit(program)


def run_cell(s: SweepSettings, reference: Reference, *, max_traces: int | None = None) -> CellResult:
    if (reference.model, reference.design) != (s.model, s.design):
        raise ValueError(
            f"the reference is for {reference.model}/{reference.design}, the cell is {s.model}/{s.design}"
        )
    m, d, meth = MODELS[s.model].restricted(s.parameters), DESIGNS[s.design], METHODS[s.method]
    if m.param_names != list(reference.parameters):
        raise ValueError(
            f"the reference is taken w.r.t. {reference.parameters}, the cell w.r.t. {m.param_names}"
        )
    rtols = np.asarray(s.rtols, dtype=float)
    if np.any(~(rtols > 0)):
        raise ValueError(f"tolerances must be positive, got {rtols.tolist()}")
    problem = Problem(m, d, s.solver, list(reference.observe), max_steps=s.max_steps, t1=reference.t1)
    data = Observation(
        jnp.asarray(reference.ts),
        jnp.asarray(reference.targets),
        jnp.ones(len(reference.ts)),
    )
    p = jnp.asarray(reference.point)
    runner = _run_traced if meth.traced else _run_host
    timer = _Timer(s.repeats, s.repeat_below, s.time_limit)
    r = runner(problem, meth, rtols, p, m.p0, data, timer, max_traces)
    return CellResult(
        model=s.model,
        solver=s.solver,
        design=s.design,
        method=s.method,
        rtols=rtols,
        param_names=m.param_names,
        grad=r.grad,
        loss=r.loss,
        status=r.status,
        message=r.message,
        n_steps=r.n_steps,
        n_rejected=r.n_rejected,
        run_time=np.array([np.nanmedian(t) if np.any(np.isfinite(t)) else np.nan for t in r.run_times]),
        run_times=r.run_times,
        compile_time=float(r.compile_time),
        trace_time=float(r.trace_time),
        prepare_time=float(r.prepare_time),
        warmup_time=float(r.warmup_time),
        reference_digest=reference.digest(),
        abandoned=r.abandoned,
    )


class CellTimeout(Exception):
    """A call ran past the cell's time limit."""


class _Timer:
    """Warm-up calls, then up to ``repeats`` timed calls; none after a call of
    ``repeat_below`` seconds or more; all within the cell's time limit (0: none).

    Without a limit, calls run in this thread, exactly as timed. With one, each call runs in
    a worker thread that times itself, and this thread waits at most until the deadline:
    XLA cannot be interrupted, so a call past the deadline is abandoned (the caller then
    records the cell and ends the process).
    """

    def __init__(self, repeats: int, repeat_below: float, time_limit: float = 0.0):
        self.repeats = max(int(repeats), 1)
        self.repeat_below = float(repeat_below)
        self.limit = float(time_limit)
        self.deadline = time.perf_counter() + self.limit if self.limit > 0 else math.inf

    def run(self, call, *args):
        """(result, seconds) of one call, timed around the call itself."""
        if self.deadline == math.inf:
            t_start = time.perf_counter()
            out = call(*args)
            return out, time.perf_counter() - t_start
        box = {}

        def work():
            try:
                t_start = time.perf_counter()
                box["out"] = call(*args)
                box["seconds"] = time.perf_counter() - t_start
            except BaseException as e:  # handed to the waiting thread
                box["error"] = e

        worker = threading.Thread(target=work, daemon=True)
        worker.start()
        worker.join(max(self.deadline - time.perf_counter(), 0.0))
        if worker.is_alive():
            raise CellTimeout(
                f"the cell ran past its time limit of {self.limit:g} s (config key cell_time_limit)"
            )
        if "error" in box:
            raise box["error"]
        return box["out"], box["seconds"]

    def warm_up(self, call, *args) -> tuple[float, tuple | None]:
        """Up to ``WARMUP_CALLS`` untimed calls of a new callable: (their seconds, None).

        A call of ``repeat_below`` seconds or more ends the warm-up and is kept as the first
        timed call of these arguments: (seconds of the calls before it, (its result, its
        seconds)). Its first-call overhead is a few milliseconds at most (see the module
        docstring), under 1 % of such a call in a fork-server worker."""
        spent = 0.0
        for _ in range(WARMUP_CALLS):
            out, seconds = self.run(call, *args)
            if seconds >= self.repeat_below:
                return spent, (out, seconds)
            spent += seconds
        return spent, None

    def time(self, times: np.ndarray, call, *args, first: tuple | None = None):
        """Time ``call(*args)`` into ``times`` (a row of ``_Runs.run_times``); return its last result.
        ``first``: a slow warm-up call of the same arguments, (result, seconds), counted as the
        first timed call (it is not repeated, being ``repeat_below`` seconds or more)."""
        if first is not None:
            out, times[0] = first
            return out
        for k in range(self.repeats):
            out, times[k] = self.run(call, *args)
            if times[k] >= self.repeat_below:
                break
        return out


class _Runs:
    """Per-tolerance outcomes of one cell, filled by a runner."""

    def __init__(self, n_r: int, n_p: int, repeats: int):
        self.grad = np.full((n_r, n_p), np.nan)
        self.loss = np.full(n_r, np.nan)
        self.n_steps = np.full(n_r, -1, dtype=np.int64)
        self.n_rejected = np.full(n_r, -1, dtype=np.int64)
        self.run_times = np.full((n_r, max(repeats, 1)), np.nan)
        self.status = [Status.FAILED.value] * n_r
        self.message = [""] * n_r
        self.compile_time = np.nan
        self.trace_time = np.nan
        self.prepare_time = np.nan
        self.warmup_time = 0.0
        self.abandoned = False

    def timed_out(self, i: int, e: CellTimeout) -> None:
        """Tolerance i and every later one: not computed, the cell ran out of time."""
        for k in range(i, len(self.status)):
            self.status[k] = Status.TIMEOUT.value
            self.message[k] = f"{e}: this tolerance and the tighter ones were not computed"
        self.abandoned = True

    def observations(self, problem, p0, rtols, data) -> list | None:
        """The design's observations per tolerance (timed); None, with the cell failed, if that fails."""
        t_start = time.perf_counter()
        try:
            out = problem.design.observations(problem, p0, rtols, data)
        except Exception as e:  # a failed preparation is a failed cell, not a dead sweep
            self.all(Status.FAILED, f"{type(e).__name__}: {_first_line(e)}")
            return None
        self.prepare_time = time.perf_counter() - t_start
        return out

    def nominal_failed(self, i: int, nominal: SolveInfo, problem, p0, rtol) -> bool:
        """Record tolerance i as failed if the design's nominal solve failed there."""
        if int(nominal.result) == 0:
            return False
        status, message = status_from_result(int(nominal.result), True)
        self.status[i], self.message[i] = status.value, f"nominal solve: {message}"
        self.diagnose(i, problem, p0, rtol, prefix="nominal solve: ")
        return True

    def diagnose(self, i: int, problem, p, rtol, prefix: str = "") -> None:
        """A failed solve may be a vector field that went NaN: then the status says nonfinite."""
        if self.status[i] not in (Status.MAX_STEPS, Status.FAILED):
            return
        try:
            why = problem.nonfinite_probe(p, rtol)
        except Exception as e:  # the probe is a diagnosis; it never fails a cell by itself
            why = None
            self.message[i] += f" (non-finite probe failed: {type(e).__name__})"
        if why:
            self.status[i], self.message[i] = Status.NONFINITE.value, prefix + why

    def all(self, status: Status, message: str) -> _Runs:
        self.status = [status.value] * len(self.status)
        self.message = [message] * len(self.message)
        return self


def _run_traced(problem, meth, rtols, p, p0, data, timer, max_traces) -> _Runs:
    """One compiled JAX program for all tolerances; timed per tolerance after compilation."""
    r = _Runs(len(rtols), len(p), timer.repeats)
    observations = r.observations(problem, p0, rtols, data)
    if observations is None:
        return r
    program = build_program(problem, meth, max_traces)

    def flat(p, rtol, ts, targets, mask):  # arrays in, arrays out: what jax.export stores
        out = program(p, rtol, Observation(ts, targets, mask))
        return out.loss, out.grad, out.info.result, out.info.n_steps, out.info.n_rejected

    args = (p, jnp.asarray(rtols[0]), *observations[0][0])
    try:
        compiled, r.trace_time, r.compile_time = problem.compile(flat, args, (meth,), method=meth.slug)
    except NotImplementedError as e:  # includes UnsupportedCombination
        return r.all(Status.UNSUPPORTED, f"{type(e).__name__}: {e}")
    except Exception as e:  # a trace/compile error is a failed cell, not a dead sweep
        return r.all(Status.FAILED, f"{type(e).__name__}: {_first_line(e)}")

    def call(*args):
        return jax.block_until_ready(compiled(*args))

    warm = False
    for i, rtol in enumerate(rtols):
        obs, nominal = observations[i]
        if r.nominal_failed(i, nominal, problem, p0, rtol):  # nothing to differentiate
            continue
        call_args = (p, jnp.asarray(rtol), *obs)
        try:
            first = None
            if not warm:  # the first tolerance that runs warms the program up
                spent, first = timer.warm_up(call, *call_args)
                r.warmup_time += spent
                warm = True
            out = timer.time(r.run_times[i], call, *call_args, first=first)
            out = MethodOutput(out[0], out[1], SolveInfo(*out[2:]))
        except CellTimeout as e:
            r.timed_out(i, e)
            break
        except Exception as e:  # e.g. an equinox runtime error with EQX_ON_ERROR=raise
            r.message[i] = f"{type(e).__name__}: {_first_line(e)}"
            continue
        r.grad[i] = np.asarray(out.grad)
        r.loss[i] = float(out.loss)
        r.n_steps[i] = int(out.info.n_steps)
        r.n_rejected[i] = int(out.info.n_rejected)
        finite = bool(np.all(np.isfinite(r.grad[i])) and np.isfinite(r.loss[i]))
        st, msg = status_from_result(int(out.info.result), finite)
        r.status[i], r.message[i] = st.value, msg
        r.diagnose(i, problem, p, rtol)
    return r


def _run_host(problem, meth, rtols, p, p0, data, timer, max_traces) -> _Runs:
    """A method outside JAX (CVODES): built and run per tolerance; the build is the compile time."""
    r = _Runs(len(rtols), len(p), timer.repeats)
    try:
        meth.check(problem)
    except NotImplementedError as e:
        return r.all(Status.UNSUPPORTED, f"{type(e).__name__}: {e}")
    design = problem.design
    step_times = None
    if design.slug == "nominal_steps":
        # the observation times are the accepted steps of the cell solver's nominal solve (JAX);
        # other designs' targets come from CVODES's own nominal solve, below
        step_times = r.observations(problem, p0, rtols, data)
        if step_times is None:
            return r
    p_np, p0_np = np.asarray(p), np.asarray(p0)
    build_times = []
    for i, rtol in enumerate(rtols):
        try:
            if step_times is not None:
                obs, nominal = step_times[i]
                if r.nominal_failed(i, nominal, problem, p0, rtol):
                    continue
                ts = np.asarray(obs.ts)[np.asarray(obs.mask) > 0]
            elif design.observes_trajectory:
                ts = np.asarray(data.ts)
            else:
                ts = np.array([problem.t1])
            t_start = time.perf_counter()
            nominal, make_loss_grad = meth.build(problem, ts, float(rtol))
            if design.zero_gradient:  # self-consistent targets from the method's own nominal solve
                xs, steps, rejected = nominal(p0_np)
                targets = xs[:, problem.observe]
            else:
                targets = np.asarray(data.targets)
            loss_grad = make_loss_grad(targets)
            build_times.append(time.perf_counter() - t_start)
            if not (design.zero_gradient and np.array_equal(p_np, p0_np)):
                _, steps, rejected = nominal(p_np)
            r.n_steps[i], r.n_rejected[i] = steps, rejected
            spent, first = timer.warm_up(loss_grad, p_np)  # a new callable at every tolerance
            r.warmup_time += spent
            r.loss[i], r.grad[i] = timer.time(r.run_times[i], loss_grad, p_np, first=first)
        except CellTimeout as e:
            r.timed_out(i, e)
            break
        except RuntimeError as e:  # CasADi reports solver failures as RuntimeError
            text = str(e).strip()
            too_much = "TOO_MUCH_WORK" in text or "max_num_steps" in text
            r.status[i] = (Status.MAX_STEPS if too_much else Status.FAILED).value
            r.message[i] = "CVODES: " + (text.splitlines()[-1] if text else "failed")
            continue
        finite = bool(np.all(np.isfinite(r.grad[i])) and np.isfinite(r.loss[i]))
        r.status[i] = (Status.OK if finite else Status.NONFINITE).value
    r.compile_time = float(np.mean(build_times)) if build_times else np.nan
    return r


def _first_line(e: Exception) -> str:
    text = str(e).strip()
    return text.splitlines()[0] if text else ""
