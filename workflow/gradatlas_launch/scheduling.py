"""Keep Snakemake's scheduler from re-running itself hundreds of times a second.

Snakemake's job scheduler (9.x, ``snakemake.scheduling.job_scheduler.JobScheduler``) ends
every scheduling round that had jobs ready by arming a ``threading.Timer`` for its job-rate
limiter (``--max-jobs-per-timespan``, default ``100/1s``). The timer, when it fires, starts
another round, which arms another timer. A round that a finished job starts arms one as
well, so every finished job adds one more of these chains, and none of them ends while jobs
are waiting: after N jobs the scheduler runs about N rounds a second. Each round resets the
params and resources of every ready job (which calls the workflow's input and params
functions) and stats their input files. Measured on the paper grid (2 cores): 174 threads in
the snakemake process and 430 s of its CPU 23 minutes into the run, CPU that the jobs on
the same two cores did not get (with the limiter off: 22 threads, 49 s of CPU in 42 minutes).

The limiter guards a cluster's scheduler against submissions that come too fast. On one
machine, at its default of 100 jobs a second, it never holds back a run of gradatlas jobs
(each takes seconds to minutes). :func:`drop_default_rate_limiter`, called from the
Snakefile's ``onstart`` handler (after Snakemake has built its scheduler, before the first
round), switches it off when jobs run on this machine and the limit is the default: then no
timer is ever armed, and rounds happen when jobs start or finish, as they do in a dry run.
Cluster and cloud executors keep it, and so does a limit that a user sets (on the command
line or in a profile) to anything else. Nothing in Snakemake is patched.

Ctrl-C. Snakemake's main thread runs parts of each round as asyncio coroutines, through an
``asyncio.Runner``. While one runs, the Runner replaces Python's SIGINT handler with its
own, which does not raise ``KeyboardInterrupt`` but cancels the running step, and a step
that swallows the cancellation leaves the run going: that Ctrl-C is lost (measured with
``benchmarks/interrupt.py``: the first Ctrl-C was lost in 1 of 8 runs with the limiter off
and no handler, in 0 of 10 with the handler below). The Runner does this only when the
handler in place is Python's default. :func:`raise_on_ctrl_c` installs a handler that does what the default does, raise
``KeyboardInterrupt`` in the main thread wherever it is, so the Runner leaves it alone
and Snakemake's scheduler, which stops its jobs on ``KeyboardInterrupt``, gets every press.
"""

from __future__ import annotations

import signal
import threading

#: Snakemake's default ``--max-jobs-per-timespan``: (jobs, seconds)
DEFAULT_RATE = (100, 1)


def drop_default_rate_limiter(workflow) -> bool:
    """Switch the job-rate limiter of ``workflow``'s scheduler off if jobs run locally and it has
    Snakemake's default limit (100 jobs per second). True if it is off now."""
    scheduler = getattr(workflow, "scheduler", None)
    if scheduler is None or not hasattr(scheduler, "job_rate_limiter"):
        return False  # not a Snakemake this was written for: leave it as it is
    if scheduler.job_rate_limiter is None:
        return True
    settings = workflow.scheduling_settings
    limit = settings.max_jobs_per_timespan
    default = (getattr(limit, "max_jobs", None), getattr(limit, "timespan", None)) == DEFAULT_RATE
    if not workflow.local_exec or not default or getattr(settings, "max_jobs_per_second", None) is not None:
        return False
    scheduler.job_rate_limiter = None
    return True


def _interrupt(signum, frame):
    raise KeyboardInterrupt


def raise_on_ctrl_c() -> bool:
    """Make SIGINT raise ``KeyboardInterrupt`` in the main thread even inside asyncio's Runner.

    Only where Python's default handler is in place (a SIGINT that is ignored stays ignored)
    and only from the main thread. True if the handler is in place now."""
    if threading.current_thread() is not threading.main_thread():
        return False
    current = signal.getsignal(signal.SIGINT)
    if current is _interrupt:
        return True
    if current is not signal.default_int_handler:
        return False
    signal.signal(signal.SIGINT, _interrupt)
    return True
