"""Does one Ctrl-C stop a running pipeline? Trials of one SIGINT each, optionally under load.

    python3 benchmarks/interrupt.py [--trials 8] [--after 4] [--load 2] [--configfile config/quick.yaml]

Each trial runs ``snakemake --cores 2`` on the grid in a temporary copy of the workflow
(one JAX compilation cache for all trials, filled by the first: later trials' jobs are
fast, so Snakemake's main thread spends more of its time in its own bookkeeping, which
is where a lost SIGINT would hide). Once ``--after`` jobs have finished, the script sends
snakemake exactly one SIGINT, as one press of Ctrl-C, and waits up to ``--wait`` seconds
for it to exit. A trial where it does not exit counts as a lost Ctrl-C; the script then
presses again until it exits, and says how many presses that took. ``--load N`` runs N
busy-loop processes during the trials (the machine is shared and loaded in the test suite).

snakemake starts with SIGINT at its default disposition: a process started in the
background by a non-interactive shell ignores SIGINT, and Python keeps that (then no
Ctrl-C stops it, which says nothing about Snakemake).
"""

import argparse
import multiprocessing
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from pipeline import copy_workflow  # benchmarks/pipeline.py, beside this script


def _spin():
    while True:
        pass


def trial(work: Path, env: dict, args) -> tuple[bool, int, float]:
    """(stopped by the first press, presses needed, seconds from the first press to exit)."""
    shutil.rmtree(work / "results", ignore_errors=True)
    shutil.rmtree(work / ".snakemake", ignore_errors=True)
    log = work / "trial.log"
    with open(log, "w") as out:
        proc = subprocess.Popen(
            [sys.executable, "-m", "snakemake", "--cores", "2", "--configfile", args.configfile],
            cwd=work, env=env, stdout=out, stderr=subprocess.STDOUT,
            preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL),
        )  # fmt: skip
        while proc.poll() is None and log.read_text().count("Finished jobid") < args.after:
            time.sleep(0.05)
        if proc.poll() is not None:
            sys.exit(f"snakemake ended (exit {proc.returncode}) before {args.after} jobs finished: see {log}")
        pressed = time.perf_counter()
        proc.send_signal(signal.SIGINT)
        presses = 1
        try:
            proc.wait(timeout=args.wait)
        except subprocess.TimeoutExpired:
            while proc.poll() is None:
                proc.send_signal(signal.SIGINT)
                presses += 1
                try:
                    proc.wait(timeout=1.0)
                except subprocess.TimeoutExpired:
                    pass
        return presses == 1, presses, time.perf_counter() - pressed


def main():
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--configfile", default="config/quick.yaml")
    parser.add_argument("--trials", type=int, default=8)
    parser.add_argument("--after", type=int, default=4, help="press Ctrl-C once this many jobs have finished")
    parser.add_argument("--wait", type=float, default=30.0, help="seconds a press has to stop the run")
    parser.add_argument("--load", type=int, default=0, help="busy-loop processes during the trials")
    args = parser.parse_args()

    tmp = Path(tempfile.mkdtemp(prefix="gradatlas-interrupt-"))
    spinners = [multiprocessing.Process(target=_spin, daemon=True) for _ in range(args.load)]
    try:
        copy_workflow(tmp)
        env = {**os.environ, "GRADATLAS_JAX_CACHE": str(tmp / ".cache" / "jax")}
        for s in spinners:
            s.start()
        lost = 0
        for k in range(args.trials):
            first, presses, seconds = trial(tmp, env, args)
            lost += not first
            print(f"trial {k + 1}: {'stopped by the first Ctrl-C' if first else f'FIRST CTRL-C LOST ({presses} presses)'}"
                  f", exit {seconds:.1f} s after the first press", flush=True)  # fmt: skip
        print(
            f"first Ctrl-C lost in {lost} of {args.trials} trials (--after {args.after}, --load {args.load})"
        )
    finally:
        for s in spinners:
            s.terminate()
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
