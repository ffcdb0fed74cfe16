"""Pipeline benchmark: cold run, warm rerun, no-op, and where the time goes.

    python3 benchmarks/pipeline.py [--configfile config/quick.yaml] [--cores 2]
    python3 benchmarks/pipeline.py --configfile config/config.yaml --cold-only --keep /tmp/paper

Works in a temporary copy of the workflow with its own (initially empty) JAX
compilation cache, so it never touches ./results. Targets (issue 3): quick grid
cold <= 90 s on 2 cores; rerun after deleting results/ with a warm cache <= 60 %
of the cold run; no-op <= 5 s; paper grid (config/config.yaml) cold <= 30 min.
``--cold-only`` skips the warm rerun; ``--keep DIR`` copies the finished results/
there (atlas, figures, sweep files, benchmark files).

CPU time is the whole machine's (from /proc/stat; run it on an idle machine): the
jobs' work happens in processes forked by the gradatlas_launch fork server, which
are not children of snakemake. Before the warm rerun the script waits for the fork
server to exit, so the rerun starts with a fresh one, like the cold run.
"""

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd
import xarray as xr

from gradatlas_launch import IDLE_S

ROOT = Path(__file__).resolve().parents[1]


def machine_cpu() -> float:
    """CPU seconds the whole machine has spent busy since boot (Linux /proc/stat)."""
    with open("/proc/stat") as f:
        user, nice, system, _idle, _iowait, irq, softirq, steal = map(int, f.readline().split()[1:9])
    return (user + nice + system + irq + softirq + steal) / os.sysconf("SC_CLK_TCK")


def machine_speed() -> float:
    """Seconds for a fixed pure-Python loop (median of 3): this machine's speed drifts from
    day to day, and the same grid's time with it; print this beside every timing."""

    def once():
        t0 = time.perf_counter()
        total = 0
        for i in range(20_000_000):
            total += i * i
        return time.perf_counter() - t0

    return statistics.median(once() for _ in range(3))


def run(cmd, cwd, env, label=None):
    cpu0 = machine_cpu()
    t0 = time.perf_counter()
    proc = subprocess.run(cmd, cwd=cwd, env=env, capture_output=True, text=True)
    wall = time.perf_counter() - t0
    if proc.returncode != 0:
        sys.exit(f"{' '.join(cmd)} failed:\n{proc.stderr[-3000:]}")
    cpu = machine_cpu() - cpu0
    if label:
        print(f"{label}: {wall:.1f} s wall, {cpu:.1f} s CPU on the machine ({cpu / wall:.2f} cores busy)")
    return wall


def timeline(work: Path, started: float, wall: float) -> None:
    """When the run's phases began and ended, from the newest Snakemake log (1 s resolution):
    start-up until the first job, the computing jobs, and the tail after the last sweep."""
    log = max((work / ".snakemake" / "log").glob("*.log"), key=lambda f: f.stat().st_mtime)
    stamp, first, last_compute = None, None, None
    for line in log.read_text().splitlines():
        if line.startswith("[") and line.endswith("]"):
            stamp = time.mktime(time.strptime(line[1:-1], "%a %b %d %H:%M:%S %Y"))
        elif stamp is not None and line.startswith(("rule ", "localrule ")):
            first = stamp if first is None else first
        elif line.startswith("Finished jobid") and any(r in line for r in ("run_sweep", "compute_reference",
                                                                           "check_reference")):  # fmt: skip
            last_compute = stamp
    if first is None or last_compute is None:
        return
    print(f"  timeline: first job after {first - started:.0f} s, last sweep/reference done at "
          f"{last_compute - started:.0f} s, then {started + wall - last_compute:.0f} s of atlas, figures, "
          "claims and summary (1 s resolution)")  # fmt: skip


def breakdown(work: Path, import_s: float) -> None:
    bench = work / "results" / "benchmarks"
    for stage in ("references", "reference_checks"):
        walls = [float(pd.read_csv(f, sep="\t")["s"].iloc[0]) for f in (bench / stage).rglob("*.tsv")]
        print(f"  {stage} jobs: {len(walls)}, summed wall time {sum(walls):.1f} s")
    jobs = list((bench / "sweeps").rglob("*.tsv"))
    job_wall = sum(float(pd.read_csv(f, sep="\t")["s"].iloc[0]) for f in jobs)
    trace = compile_ = solve = prepare = 0.0
    for f in (work / "results" / "sweeps").rglob("*.nc"):
        with xr.open_dataset(f) as ds:
            prepare += np.nan_to_num(float(ds["prepare_time"]))
            trace += np.nan_to_num(float(ds["trace_time"]))
            compile_ += np.nan_to_num(float(ds["compile_time"]) - float(ds["trace_time"]))
            solve += float(np.nansum(ds["run_times"].values))
    start = import_s * len(jobs)
    rest = job_wall - start - prepare - trace - compile_ - solve
    slowest = sorted(((float(pd.read_csv(f, sep="\t")["s"].iloc[0]), f) for f in jobs), reverse=True)[:8]
    print(f"  sweep jobs: {len(jobs)}, summed job wall time {job_wall:.1f} s, of which")
    for name, value in [
        ("job start (launcher + fork)", start),
        ("design observations (nominal solves)", prepare),
        ("trace (+ lower)", trace),
        ("XLA compile (CasADi build for CVODES)", compile_),
        ("solving (all timed repeats)", solve),
        ("I/O, reference reading, other", rest),
    ]:
        print(f"    {name:38s} {value:7.1f} s  ({100 * value / job_wall:4.1f} %)")
    print("  slowest sweep jobs:")
    for wall, f in slowest:
        print(f"    {wall:7.1f} s  {f.relative_to(bench / 'sweeps').with_suffix('')}")


def main():
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--configfile", default="config/quick.yaml")
    parser.add_argument("--cores", type=int, default=2)
    parser.add_argument("--cold-only", action="store_true", help="skip the warm rerun")
    parser.add_argument("--keep", type=Path, help="copy the cold run's results/ here")
    args = parser.parse_args()

    tmp = tempfile.mkdtemp(prefix="gradatlas-bench-")
    try:
        _bench(Path(tmp), args)
    except BaseException:
        # a failed run keeps its folder (an hour of paper-grid cells is not thrown away):
        # finish it with the same snakemake command there
        print(f"kept the work folder {tmp}", file=sys.stderr)
        raise
    shutil.rmtree(tmp)


def copy_workflow(work: Path) -> None:
    """A fresh copy of the workflow (what a user's clone holds) in the folder ``work``."""
    shutil.copy(ROOT / "Snakefile", work)
    for d in ("workflow", "config", "envs", "profiles", "examples", "resources"):
        shutil.copytree(ROOT / d, work / d, ignore=shutil.ignore_patterns("__pycache__"))


def _bench(work: Path, args) -> None:
    copy_workflow(work)
    env = {**os.environ, "GRADATLAS_JAX_CACHE": str(work / ".cache" / "jax")}
    smk = [sys.executable, "-m", "snakemake", "--cores", str(args.cores), "--configfile", args.configfile]

    # what starting a job costs: a fresh interpreter with the imports, and the
    # launcher handing a command to a warm fork server (measured in a scratch folder,
    # so the pipeline's own server starts cold)
    scratch = work / "scratch"
    scratch.mkdir()
    imports = [
        run([sys.executable, "-c", "import gradatlas.cli, gradatlas.io"], scratch, env) for _ in range(3)
    ]
    launch = [sys.executable, "-m", "gradatlas_launch", "--help"]
    run(launch, scratch, env)  # starts the server
    import_s = statistics.median(run(launch, scratch, env) for _ in range(5))
    print(f"interpreter start + import gradatlas: {statistics.median(imports):.2f} s; "
          f"through the warm fork server: {import_s:.2f} s (medians)")  # fmt: skip

    print(f"machine speed, before: fixed pure-Python loop {machine_speed():.3f} s (median of 3)")
    started = time.time()
    cold = run(smk, work, env, f"cold run ({args.configfile}, {args.cores} cores, empty compilation cache)")
    print(f"machine speed, after the cold run: fixed pure-Python loop {machine_speed():.3f} s")
    timeline(work, started, cold)
    breakdown(work, import_s)
    if args.keep:
        shutil.copytree(work / "results", args.keep, dirs_exist_ok=True)
    if args.cold_only:
        return
    shutil.rmtree(work / "results")
    time.sleep(IDLE_S + 3)  # the fork server exits: the rerun starts cold in that respect
    warm = run(smk, work, env, "rerun after deleting results/, warm cache")
    print(f"  = {100 * warm / cold:.0f} % of the cold run")
    breakdown(work, import_s)
    run(smk, work, env, "no-op snakemake")


if __name__ == "__main__":
    main()
