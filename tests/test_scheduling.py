"""gradatlas_launch.scheduling: Snakemake's job-rate limiter is off for local runs at its default."""

from types import SimpleNamespace

from gradatlas_launch.scheduling import DEFAULT_RATE, drop_default_rate_limiter


def _workflow(limit, local=True, per_second=None):
    """What the function reads of Snakemake's Workflow: its settings, executor kind and scheduler."""
    from snakemake.settings.types import MaxJobsPerTimespan

    settings = SimpleNamespace(max_jobs_per_timespan=MaxJobsPerTimespan.parse_choice(limit),
                               max_jobs_per_second=per_second)  # fmt: skip
    scheduler = SimpleNamespace(job_rate_limiter=object())
    return SimpleNamespace(scheduling_settings=settings, local_exec=local, scheduler=scheduler)


def test_the_default_limit_is_dropped_for_local_jobs():
    wf = _workflow("100/1s")
    assert drop_default_rate_limiter(wf)
    assert wf.scheduler.job_rate_limiter is None
    assert drop_default_rate_limiter(wf)  # idempotent


def test_a_users_limit_and_a_cluster_keep_the_limiter():
    for wf in (_workflow("20/1s"), _workflow("100/1m"), _workflow("100/1s", per_second=5),
               _workflow("100/1s", local=False)):  # fmt: skip
        limiter = wf.scheduler.job_rate_limiter
        assert not drop_default_rate_limiter(wf)
        assert wf.scheduler.job_rate_limiter is limiter


def test_snakemakes_default_and_scheduler_are_what_the_function_expects():
    """Against the installed Snakemake: its CLI default is 100/1s, and its scheduler reads the
    limiter from the attribute that is set to None (so a new version that renames it shows here)."""
    import inspect

    from snakemake.cli import get_argument_parser
    from snakemake.scheduling.job_scheduler import JobScheduler
    from snakemake.settings.types import MaxJobsPerTimespan

    default = get_argument_parser().get_default("max_jobs_per_timespan")
    limit = MaxJobsPerTimespan.parse_choice(default) if isinstance(default, str) else default
    assert (limit.max_jobs, limit.timespan) == DEFAULT_RATE
    source = inspect.getsource(JobScheduler)
    assert "if self.job_rate_limiter is not None:" in source
    assert "self._schedule_reevalutation(self.job_rate_limiter.timespan)" in source


_SWALLOWING_STEP = r"""
import asyncio, os, signal, sys
sys.path.insert(0, sys.argv[1])
from gradatlas_launch.scheduling import raise_on_ctrl_c

if sys.argv[2] == "handler":
    assert raise_on_ctrl_c()

async def step():  # an asyncio step that takes a cancellation as the end of its wait
    try:
        os.kill(os.getpid(), signal.SIGINT)  # Ctrl-C while the step runs
        await asyncio.sleep(1.0)
    except asyncio.CancelledError:
        pass
    return "finished"

try:
    print(asyncio.Runner().run(step()))
except KeyboardInterrupt:
    print("interrupted")
"""


def test_ctrl_c_inside_an_asyncio_step_interrupts_with_the_handler_only():
    """The mechanism, in Python alone: asyncio's Runner turns a SIGINT into a cancellation of its
    step, which a step can swallow; with raise_on_ctrl_c's handler the SIGINT raises instead."""
    import signal
    import subprocess
    import sys
    from pathlib import Path

    import gradatlas_launch

    pkg = str(Path(gradatlas_launch.__file__).parents[1])
    out = {
        how: subprocess.run([sys.executable, "-c", _SWALLOWING_STEP, pkg, how], capture_output=True, text=True,
                            timeout=60,
                            # Python's own handler, even where this process ignores SIGINT (a pytest-xdist
                            # worker does, and a child inherits that)
                            preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL)).stdout.strip()
        for how in ("default", "handler")
    }  # fmt: skip
    assert out == {"default": "finished", "handler": "interrupted"}


def test_an_ignored_sigint_stays_ignored():
    import signal

    from gradatlas_launch.scheduling import raise_on_ctrl_c

    before = signal.signal(signal.SIGINT, signal.SIG_IGN)
    try:
        assert not raise_on_ctrl_c()
        assert signal.getsignal(signal.SIGINT) is signal.SIG_IGN
    finally:
        signal.signal(signal.SIGINT, before)


def test_the_interrupt_benchmark_runs_and_one_ctrl_c_stops_the_pipeline():
    """`python3 benchmarks/interrupt.py` (README, "Threads and caches"), one short trial: it runs the
    quick grid in a fresh copy, presses Ctrl-C once after the first finished job, and snakemake stops."""
    import subprocess
    import sys

    from conftest import ROOT

    proc = subprocess.run([sys.executable, "benchmarks/interrupt.py", "--trials", "1", "--after", "1"], cwd=ROOT,
                          capture_output=True, text=True, timeout=600)  # fmt: skip
    assert proc.returncode == 0, proc.stdout + proc.stderr[-3000:]
    assert "trial 1: stopped by the first Ctrl-C" in proc.stdout, proc.stdout
    assert "first Ctrl-C lost in 0 of 1 trials" in proc.stdout, proc.stdout
