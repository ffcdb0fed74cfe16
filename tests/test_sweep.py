"""The cell runner's economies change no number: compaction, skipped work, repeats, the trace cache."""

import dataclasses
import os
import subprocess
import sys
from pathlib import Path

import jax.numpy as jnp
import numpy as np
import pytest
from helpers import cell as run_cell
from helpers import reference

import gradatlas as ga
from gradatlas import trace_cache
from gradatlas.problem import Observation, Problem
from gradatlas.sweep import _Timer, build_program


@pytest.fixture(scope="module")
def hh_nominal():
    return reference("hodgkin_huxley", "nominal_steps", "V", rtol=1e-8, check_rtol=1e-6)


def _program_output(problem, method, obs, rtol):
    p0 = jnp.asarray(problem.model.p0)
    return build_program(problem, ga.METHODS[method])(p0, jnp.asarray(rtol), obs)


def test_nominal_steps_keeps_every_accepted_step(hh_nominal):
    """Compacting the step-time observations to the largest accepted-step count changes nothing:
    same loss and gradient as with the full max_steps buffer (where the thread's mechanism
    makes the forward-sensitivity gradient far from zero, so there is something to compare)."""
    model, design = ga.MODELS["hodgkin_huxley"], ga.DESIGNS["nominal_steps"]
    rtols = [1e-3, 1e-5]
    problem = Problem(model, design, "tsit5", "V", max_steps=20_000)
    ts, targets = jnp.asarray(hh_nominal.ts), jnp.asarray(hh_nominal.targets)
    data = Observation(ts, targets, jnp.ones(len(ts)))
    compact = design.observations(problem, model.p0, rtols, data)
    for rtol, (obs, nominal) in zip(rtols, compact, strict=True):
        padded, _ = design.observation(problem, model.p0, jnp.asarray(rtol), data)
        assert padded.ts.shape == (20_000,) and obs.ts.shape == compact[-1][0].ts.shape
        assert int(nominal.result) == 0
        a = _program_output(problem, "forward_sensitivity", obs, rtol)
        b = _program_output(problem, "forward_sensitivity", padded, rtol)
        assert int(a.info.result) == 0 and int(b.info.result) == 0
        assert np.linalg.norm(a.grad) > 0
        np.testing.assert_allclose(a.grad, b.grad, rtol=1e-12, atol=0)
        np.testing.assert_allclose(a.loss, b.loss, rtol=1e-12, atol=0)
        assert int(a.info.n_steps) == int(b.info.n_steps)
    # the count is the nominal solve's own: the tighter tolerance takes more steps
    sol = problem.solve(model.p0, 1e-5, __import__("diffrax").SaveAt(t1=True))
    loose, tight = compact[0][0], compact[-1][0]
    assert tight.ts.shape == (int(sol.stats["num_accepted_steps"]),) and np.all(tight.mask == 1)
    assert np.sum(loose.mask) < len(loose.mask)  # the looser tolerance: padded to the same length


def test_cvodes_on_nominal_steps_observes_the_cell_solvers_steps(monkeypatch):
    """CVODES on nominal_steps: the observation times are the accepted steps of the cell
    solver's own nominal (JAX) solve, and the targets are CVODES's own nominal solution
    there, so at p0 every residual is zero and so are the loss and the gradient."""
    import diffrax

    ref = reference("linear_decay", "nominal_steps", rtol=1e-10, check_rtol=1e-8)
    method = ga.METHODS["cvodes_forward"]
    seen, build = [], method.build
    monkeypatch.setattr(
        method, "build", lambda problem, ts, rtol: seen.append(ts) or build(problem, ts, rtol)
    )
    rtols = [1e-3, 1e-8]
    result = run_cell("linear_decay", "tsit5", "nominal_steps", "cvodes_forward", rtols, ref, repeats=1)
    assert result.status == ["ok", "ok"]
    np.testing.assert_array_equal(result.loss, 0.0)
    np.testing.assert_array_equal(result.grad, 0.0)
    model = ga.MODELS["linear_decay"]
    problem = Problem(model, ga.DESIGNS["nominal_steps"], "tsit5", "all", max_steps=20_000)
    for rtol, ts in zip(rtols, seen, strict=True):
        sol = problem.solve(model.p0, rtol, diffrax.SaveAt(t1=True))
        assert len(ts) == int(sol.stats["num_accepted_steps"]) > 1


def test_failed_nominal_solve_is_recorded_not_differentiated(hh_nominal):
    cell = run_cell("hodgkin_huxley", "tsit5", "nominal_steps", "finite_difference", [1e-3, 1e-9],
                    hh_nominal, max_steps=1000, repeats=1)  # fmt: skip
    assert cell.status[1] == "max_steps"
    assert np.all(np.isnan(cell.grad[1]))


def test_backsolve_after_a_failed_forward_solve_is_recorded(lv_reference):
    """A tolerance whose forward solve hits max_steps comes back as max_steps (the backward
    pass, which would start from garbage, is not attempted)."""
    cell = run_cell("lotka_volterra", "bosh3", "data_fit", "backsolve_adjoint", [1e-3, 1e-12],
                    lv_reference, max_steps=2000, repeats=1)  # fmt: skip
    assert cell.status == ["ok", "max_steps"]
    assert np.all(np.isfinite(cell.grad[0])) and np.all(np.isnan(cell.grad[1]))


def test_per_model_step_caps_replace_max_steps_for_that_model_only(lv_reference):
    """max_steps_by_model gives one model's cells their own step cap; the others keep max_steps.
    The cap is the one the cell's solves run under: lotka_volterra at rtol 1e-9 takes about 6 000
    steps of bosh3, so it runs out of steps under a cap of 2 000 and not under max_steps."""
    from gradatlas import settings
    from gradatlas.config import validate
    from gradatlas.grid import Cell

    config = validate({"models": ["lotka_volterra", "robertson"], "solvers": ["bosh3"], "designs": ["data_fit"],
                       "methods": ["forward_jvp"], "rtols": [1e-3, 1e-9],
                       "max_steps_by_model": {"lotka_volterra": 2000}})  # fmt: skip
    lv = settings.sweep_settings(config, Cell("lotka_volterra", "data_fit", "bosh3", "forward_jvp"), None)
    other = settings.sweep_settings(config, Cell("robertson", "data_fit", "bosh3", "forward_jvp"), None)
    assert (lv.max_steps, other.max_steps) == (2000, settings.schema_defaults()["max_steps"])
    capped = ga.run_cell(dataclasses.replace(lv, repeats=1), lv_reference)
    full = ga.run_cell(dataclasses.replace(lv, repeats=1, max_steps=other.max_steps), lv_reference)
    assert (capped.status, full.status) == (["ok", "max_steps"], ["ok", "ok"])
    assert 2000 < full.n_steps[1] + full.n_rejected[1] < other.max_steps


class _CountingMethod(ga.HostMethod):
    """A host method whose loss is the number of times its callable has been called."""

    slug = "counting_host_method"
    description = "counts its calls"
    tangent_error_control = False

    def build(self, problem, ts, rtol):
        count = [0]

        def nominal(p):
            return np.zeros((len(ts), problem.model.n_states)), 1, 0

        def make_loss_grad(targets):
            def call(p):
                count[0] += 1
                return float(count[0]), np.zeros(len(p))

            return call

        return nominal, make_loss_grad


def test_timed_calls_follow_the_warm_up(lv_reference, throwaway_method):
    """Every tolerance's timed calls come after WARMUP_CALLS untimed ones: the loss recorded is
    that of the last timed call, WARMUP_CALLS + repeats calls into each new callable."""
    from gradatlas.sweep import WARMUP_CALLS

    throwaway_method(_CountingMethod())
    cell = run_cell("lotka_volterra", "tsit5", "data_fit", "counting_host_method", [1e-3, 1e-6], lv_reference,
                    repeats=3, repeat_below=np.inf)  # fmt: skip
    assert cell.status == ["ok", "ok"]
    np.testing.assert_array_equal(cell.loss, [WARMUP_CALLS + 3] * 2)
    assert np.all(np.isfinite(cell.run_times)) and cell.warmup_time > 0


def test_a_slow_warm_up_call_is_the_timed_call(lv_reference, throwaway_method):
    """A warm-up call of repeat_below seconds or more ends the warm-up and is the tolerance's
    timed call: each callable is called exactly once (the loss counts the calls), and the
    time recorded is that call's."""
    throwaway_method(_CountingMethod())
    cell = run_cell("lotka_volterra", "tsit5", "data_fit", "counting_host_method", [1e-3, 1e-6], lv_reference,
                    repeats=3, repeat_below=0.0)  # fmt: skip
    assert cell.status == ["ok", "ok"]
    np.testing.assert_array_equal(cell.loss, [1, 1])
    assert cell.warmup_time == 0.0
    assert np.all(np.isfinite(cell.run_times[:, 0])) and np.all(np.isnan(cell.run_times[:, 1:]))


class _SlowMethod(_CountingMethod):
    """Each call of the second tolerance's callable takes a second."""

    slug = "slow_host_method"

    def build(self, problem, ts, rtol):
        nominal, make = super().build(problem, ts, rtol)

        def slow_make(targets):
            call = make(targets)
            return (lambda p: (__import__("time").sleep(1.0), call(p))[1]) if rtol < 1e-4 else call

        return nominal, slow_make


def test_a_cell_past_its_time_limit_records_timeout(lv_reference, throwaway_method):
    """The tolerance that runs past cell_time_limit, and every tighter one, say timeout; the
    ones before keep their results; the cell says it left a call running."""
    throwaway_method(_SlowMethod())
    cell = run_cell("lotka_volterra", "tsit5", "data_fit", "slow_host_method", [1e-3, 1e-6, 1e-9], lv_reference,
                    repeats=1, time_limit=0.5)  # fmt: skip
    assert cell.status == ["ok", "timeout", "timeout"]
    assert "time limit of 0.5 s" in cell.message[1] and cell.abandoned
    assert np.isfinite(cell.loss[0]) and np.isnan(cell.loss[1])


def test_a_reference_of_another_cell_is_refused(lv_reference):
    with pytest.raises(ValueError, match="reference is for lotka_volterra/data_fit"):
        run_cell("linear_decay", "tsit5", "data_fit", "forward_jvp", [1e-3], lv_reference)


@pytest.mark.parametrize("repeat_below, calls", [(0.0, 1), (np.inf, 3)])
def test_slow_calls_are_timed_once(repeat_below, calls):
    timer, times, count = _Timer(3, repeat_below), np.full(3, np.nan), []
    assert timer.time(times, lambda: count.append(1) or len(count)) == calls
    assert len(count) == calls and np.sum(np.isfinite(times)) == calls


_CACHE_SCRIPT = """
import json, sys
import jax
from gradatlas import trace_cache
from helpers import cell, reference

mode, cache = sys.argv[1:3]
trace_cache.enable(None if mode == "direct" else cache)
if mode == "loaded":  # every program must come from the cache: tracing again is an error
    def traced_again(*args, **kwargs):
        raise SystemExit("a stored program was traced again")
    jax.export.export = traced_again
designs = ("data_fit", "nominal_steps", "uniform")
refs = {d: reference("linear_decay", d, rtol=1e-10, check_rtol=1e-8) for d in designs}
cells = [cell("linear_decay", "tsit5", design, method, [1e-4, 1e-8], refs[design], repeats=1)
         for design, method in [("data_fit", "forward_jvp"), ("nominal_steps", "forward_jvp"),
                                ("nominal_steps", "finite_difference"), ("uniform", "forward_jvp")]]
print(json.dumps([[c.grad.tolist(), c.loss.tolist(), c.n_steps.tolist(), c.status] for c in cells]
                 + [refs["data_fit"].grad.tolist(), refs["nominal_steps"].scale, refs["uniform"].scale]))
"""


def _cached_run(mode, cache):
    # the cache needs EQX_ON_ERROR=nan (equinox reads it at import): a fresh process
    env = {**__import__("os").environ, "EQX_ON_ERROR": "nan", "PYTHONPATH": str(Path(__file__).parent)}
    out = subprocess.run([sys.executable, "-c", _CACHE_SCRIPT, mode, str(cache)], env=env,
                         capture_output=True, text=True, timeout=600)  # fmt: skip
    assert out.returncode == 0, out.stderr[-3000:]
    return __import__("json").loads(out.stdout.strip().splitlines()[-1])


def test_trace_cache_stores_and_reuses_programs(tmp_path):
    """Programs are stored on the first run and loaded (not traced) on the next; both give
    exactly what a run without the cache gives. Designs of one form share a program: what the
    shared program gives equals what each design's own trace (no cache) gives. A truncated entry
    is a miss and is rewritten."""
    cache = tmp_path / "traces"
    direct = _cached_run("direct", cache)
    assert _cached_run("stored", cache) == direct
    entries = sorted(cache.glob("*.jaxexport"))
    # the three references (uniform times, clipped, sensitivity gradient) share their targets and
    # gradient programs: 2; data_fit forward_jvp: 1; nominal_steps: its nominal observation (shared
    # by both methods) + one program per method: 3; uniform: its nominal observation, and the
    # forward_jvp program of data_fit (same form: trajectory at 50 times, no clipping): 1
    assert len(entries) == 7
    assert _cached_run("loaded", cache) == direct
    for entry in entries:
        entry.write_bytes(entry.read_bytes()[:100])
    assert _cached_run("stored", cache) == direct
    assert all(entry.stat().st_size > 100 for entry in entries)


def test_trace_cache_key_depends_on_program_and_shapes():
    a = (jnp.zeros(3), jnp.zeros(()))
    base = trace_cache.key({"model": "x", "method": "m"}, a)
    assert base == trace_cache.key({"method": "m", "model": "x"}, a)
    assert base != trace_cache.key({"model": "x", "method": "n"}, a)
    assert base != trace_cache.key({"model": "x", "method": "m"}, (jnp.zeros(4), jnp.zeros(())))


def test_import_leaves_the_backend_unstarted():
    """runtime.configure_process sets XLA up for one thread; that only works if nothing
    started the backend before it, e.g. a module-level jnp array in the package."""
    code = (
        "import jax._src.xla_bridge as xb, gradatlas, gradatlas.cli, gradatlas.plots, gradatlas.origin;"
        "print(len(xb._backends))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "0"


@pytest.mark.skipif(not hasattr(os, "sched_getaffinity") or len(os.sched_getaffinity(0)) < 2,
                    reason="needs Linux and more than one CPU")  # fmt: skip
def test_configured_process_keeps_all_cpus():
    """The backend is started on one CPU (so XLA makes one worker thread); afterwards no
    thread may stay pinned to that CPU, or N jobs would share one core."""
    code = (
        "import os; from gradatlas.runtime import configure_process; configure_process();"
        "import jax.numpy as jnp; jnp.ones(3).block_until_ready(); cpus = os.sched_getaffinity(0);"
        "print(all(os.sched_getaffinity(int(t)) == cpus for t in os.listdir('/proc/self/task')), len(cpus))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.split()[-2:] == ["True", str(len(os.sched_getaffinity(0)))]
