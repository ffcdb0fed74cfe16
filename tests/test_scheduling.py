"""gradatlas_launch.scheduling: Snakemake's rate-limiter wake-ups, one pending at a time."""

import threading

from gradatlas_launch import scheduling


class _Scheduler:
    """What the patched method uses of Snakemake's JobScheduler: the semaphore its loop waits on."""

    def __init__(self):
        self._open_jobs = threading.Semaphore(0)


def test_many_requests_arm_one_wakeup_and_the_next_round_can_arm_again():
    s = _Scheduler()
    for _ in range(50):  # 50 rounds ask for a re-evaluation in 0.05 s: one wake-up, not 50
        scheduling.schedule_one_reevaluation(s, 0.05)
    assert s._open_jobs.acquire(timeout=5)
    assert not s._open_jobs.acquire(timeout=0.3)
    # the wake-up has fired: the round it started arms the next one (the chain never breaks)
    scheduling.schedule_one_reevaluation(s, 0.05)
    assert s._open_jobs.acquire(timeout=5)


def test_wakeups_do_not_hold_the_interpreter_at_exit():
    s = _Scheduler()
    scheduling.schedule_one_reevaluation(s, 3600)
    assert s._gradatlas_timer.daemon
    s._gradatlas_timer.cancel()


def test_snakemakes_scheduler_is_patched():
    from snakemake.scheduling.job_scheduler import JobScheduler

    assert scheduling.coalesce_reevaluation_timers()
    assert JobScheduler._schedule_reevalutation is scheduling.schedule_one_reevaluation
    assert scheduling.coalesce_reevaluation_timers()  # idempotent
