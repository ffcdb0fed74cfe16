"""Pipeline benchmark: cold run, warm rerun, no-op, and where the time goes.

    python3 benchmarks/pipeline.py [--configfile config/quick.yaml] [--cores 2]
    python3 benchmarks/pipeline.py --configfile config/config.yaml --cold-only --keep /tmp/paper

Works in a temporary copy of the workflow with its own (initially empty) JAX
compilation cache, so it never touches ./results. Targets (issue 3): quick grid
cold <= 90 s on 2 cores; rerun after deleting results/ with a warm cache <= 60 %
of the cold run; no-op <= 5 s; paper grid (config/config.yaml) cold <= 30 min.
``--cold-only`` skips the warm rerun; ``--keep DIR`` copies the finished results/
there (atlas, figures, sweep files, benchmark files).
"""

import argparse
import resource
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

ROOT = Path(__file__).resolve().parents[1]


def run(cmd, cwd, env, label=None):
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    t0 = time.perf_counter()
    proc = subprocess.run(cmd, cwd=cwd, env=env, capture_output=True, text=True)
    wall = time.perf_counter() - t0
    if proc.returncode != 0:
        sys.exit(f"{' '.join(cmd)} failed:\n{proc.stderr[-3000:]}")
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - usage.ru_utime) + (after.ru_stime - usage.ru_stime)
    if label:
        print(f"{label}: {wall:.1f} s wall, {cpu:.1f} s CPU in all processes ({cpu / wall:.2f} cores busy)")
    return wall


def breakdown(work: Path, import_s: float) -> None:
    bench = work / "results" / "benchmarks"
    for stage in ("references", "reference_checks"):
        walls = [float(pd.read_csv(f, sep="\t")["s"].iloc[0]) for f in (bench / stage).rglob("*.tsv")]
        print(f"  {stage} jobs: {len(walls)}, summed wall time {sum(walls):.1f} s")
    jobs = list((bench / "sweeps").rglob("*.tsv"))
    job_wall = sum(float(pd.read_csv(f, sep="\t")["s"].iloc[0]) for f in jobs)
    trace = compile_ = solve = 0.0
    for f in (work / "results" / "sweeps").rglob("*.nc"):
        with xr.open_dataset(f) as ds:
            trace += np.nan_to_num(float(ds["trace_time"]))
            compile_ += np.nan_to_num(float(ds["compile_time"]) - float(ds["trace_time"]))
            solve += float(np.nansum(ds["run_times"].values))
    start = import_s * len(jobs)
    rest = job_wall - start - trace - compile_ - solve
    slowest = sorted(((float(pd.read_csv(f, sep="\t")["s"].iloc[0]), f) for f in jobs), reverse=True)[:8]
    print(f"  sweep jobs: {len(jobs)}, summed job wall time {job_wall:.1f} s, of which")
    for name, value in [
        ("interpreter start + import", start),
        ("trace (+ lower)", trace),
        ("XLA compile (CasADi build for CVODES)", compile_),
        ("solving (all timed repeats)", solve),
        ("I/O, reference reading, other", rest),
    ]:
        print(f"    {name:32s} {value:7.1f} s  ({100 * value / job_wall:4.1f} %)")
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

    with tempfile.TemporaryDirectory(prefix="gradatlas-bench-") as tmp:
        work = Path(tmp)
        shutil.copy(ROOT / "Snakefile", work)
        for d in ("workflow", "config", "envs", "profiles"):
            shutil.copytree(ROOT / d, work / d, ignore=shutil.ignore_patterns("__pycache__"))
        env = {**__import__("os").environ, "GRADATLAS_JAX_CACHE": str(work / ".cache" / "jax")}
        smk = [sys.executable, "-m", "snakemake", "--cores", str(args.cores), "--configfile", args.configfile]

        imports = []
        for _ in range(3):
            imports.append(run([sys.executable, "-c", "import gradatlas.cli, gradatlas.io"], work, env))
        import_s = statistics.median(imports)

        cold = run(
            smk, work, env, f"cold run ({args.configfile}, {args.cores} cores, empty compilation cache)"
        )
        breakdown(work, import_s)
        if args.keep:
            shutil.copytree(work / "results", args.keep, dirs_exist_ok=True)
        if args.cold_only:
            return
        shutil.rmtree(work / "results")
        warm = run(smk, work, env, "rerun after deleting results/, warm cache")
        print(f"  = {100 * warm / cold:.0f} % of the cold run")
        breakdown(work, import_s)
        run(smk, work, env, "no-op snakemake")
        print(f"interpreter start + import gradatlas: {import_s:.2f} s (median of 3)")


if __name__ == "__main__":
    main()
