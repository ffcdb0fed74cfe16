"""Benchmark of ``gradatlas check``: wall time of the whole command, cold.

    python3 benchmarks/check.py examples/logistic.py --zoo hires hodgkin_huxley

Each run uses a fresh results folder and an empty JAX cache (traces and compiled
programs), so the time is what a user pays the first time: the pipeline (references,
CVODES checks, every cell, the atlas, two figures) plus the verdict and check.html.
``--zoo SLUG`` checks a built-in model through a generated model file that re-registers
it under ``SLUG_check``. Target (issue 13): at most 2 minutes on 2 cores for a model with
at most 10 states and 10 parameters.
"""

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

WRAPPER = """from gradatlas import register_model
from gradatlas.models import MODELS

base = MODELS[{slug!r}]
model = type(base).__new__(type(base))
model.__dict__.update(base.__dict__)
model.slug = {slug!r} + "_check"
register_model(model)
"""


def main():
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("files", nargs="*", help="model files")
    parser.add_argument(
        "--zoo", nargs="*", default=[], help="built-in models to check through a wrapper file"
    )
    parser.add_argument("--cores", type=int, default=2)
    parser.add_argument("--keep", type=Path, help="copy each check's folder here")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="gradatlas-check-bench-") as tmp:
        tmp = Path(tmp)
        files = [Path(f).resolve() for f in args.files]
        for slug in args.zoo:
            path = tmp / f"{slug}_check.py"
            path.write_text(WRAPPER.format(slug=slug))
            files.append(path)
        for path in files:
            out = tmp / f"out_{path.stem}"
            env = {**os.environ, "GRADATLAS_JAX_CACHE": str(out / "cache")}
            cmd = [sys.executable, "-m", "gradatlas", "check", str(path), "--outdir", str(out),
                   "--cores", str(args.cores)]  # fmt: skip
            t0 = time.perf_counter()
            proc = subprocess.run(cmd, cwd=tmp, env=env, capture_output=True, text=True)
            wall = time.perf_counter() - t0
            if proc.returncode != 0:
                sys.exit(f"{' '.join(cmd)} failed:\n{proc.stdout[-3000:]}\n{proc.stderr[-3000:]}")
            table = [ln for ln in proc.stdout.splitlines() if ln.startswith(("design ", "data_fit", "final_state",
                                                                               "time_average", "petab"))]  # fmt: skip
            print(f"== {path.stem}: gradatlas check, cold, {args.cores} cores: {wall:.1f} s wall")
            print("\n".join(table), flush=True)
            jobs = sorted(((float(open(f).read().splitlines()[1].split()[0]), f.relative_to(out / "results" / "benchmarks"))
                           for f in (out / "results" / "benchmarks").rglob("*.tsv")), reverse=True)  # fmt: skip
            print(f"  summed job wall time {sum(w for w, _ in jobs):.0f} s; slowest jobs:")
            for w, f in jobs[:8]:
                print(f"    {w:6.1f} s  {f.with_suffix('')}")
            if args.keep:
                shutil.copytree(
                    out, args.keep / path.stem, dirs_exist_ok=True, ignore=shutil.ignore_patterns("cache")
                )


if __name__ == "__main__":
    main()
