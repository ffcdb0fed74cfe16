"""Keep Snakemake's scheduler from re-running itself hundreds of times a second.

Snakemake's job scheduler (9.x, ``snakemake.scheduling.job_scheduler.JobScheduler``) ends
every scheduling round by arming a ``threading.Timer`` for its job-rate limiter
(``--max-jobs-per-timespan``, default 100 per 1 s). The timer, when it fires, starts another
round, which arms another timer. A round that a finished job starts arms one as well, so
every finished job adds one more of these chains, and none of them ever ends: after N jobs
the scheduler runs about N rounds a second. Each round resets the params and resources of
every ready job (which calls the workflow's input and params functions) and stats all
their input files. Measured on the paper grid (2 cores): 152 threads in the snakemake
process after 130 finished jobs, and the process had used 5.4 minutes of CPU in the first
22 minutes of the run, CPU that the jobs on the same two cores did not get.

:func:`coalesce_reevaluation_timers` replaces that method with one that keeps at most one
timer pending per scheduler: the re-evaluation the rate limiter needs still comes (the
pending timer fires within the timespan, and its round arms the next one), and rounds
otherwise happen when jobs start or finish, as they do without a rate limiter. The timer
marks itself fired *before* it wakes the scheduler, so a round never sees a timer that has
already done its work as pending (a lost chain could leave rate-limited jobs waiting). The
timers are daemon threads: the interpreter does not wait for them at exit.

Nothing else changes in Snakemake. If a Snakemake version has no such method, nothing is
patched and the scheduler behaves as it always did.
"""

from __future__ import annotations

import threading

_PATCHED = "_gradatlas_one_timer"


def coalesce_reevaluation_timers() -> bool:
    """Patch Snakemake's ``JobScheduler`` (once); True if it is patched."""
    try:
        from snakemake.scheduling.job_scheduler import JobScheduler
    except ImportError:
        return False
    original = getattr(JobScheduler, "_schedule_reevalutation", None)  # sic, Snakemake's spelling
    if original is None:
        return False
    if getattr(original, _PATCHED, False):
        return True
    JobScheduler._schedule_reevalutation = schedule_one_reevaluation
    return True


def schedule_one_reevaluation(scheduler, delay) -> None:
    """Wake ``scheduler`` (release its ``_open_jobs`` semaphore) after ``delay`` seconds, unless
    a wake-up armed here is still pending."""
    if getattr(scheduler, "_gradatlas_timer", None) is not None:
        return

    def fire():
        scheduler._gradatlas_timer = None  # first: the round this wakes may arm the next timer
        scheduler._open_jobs.release()

    timer = threading.Timer(delay, fire)
    timer.daemon = True
    scheduler._gradatlas_timer = timer
    timer.start()


setattr(schedule_one_reevaluation, _PATCHED, True)
