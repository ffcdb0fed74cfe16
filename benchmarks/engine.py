"""Engine benchmark: trace+compile time and the run time of a 10-tolerance sweep, per cell.

    python3 benchmarks/engine.py [--models lotka_volterra hodgkin_huxley robertson]

One cell per (model, method), design data_fit, tolerances 1e-3 ... 1e-12,
one timed call per tolerance (after the cell runner's warm-up calls). Settings are
the schema's defaults. References are computed first and not timed.
Target (issue 2): for a non-stiff model, compile plus the whole sweep <= 5 s per cell.
"""

import argparse
import time
import warnings

import numpy as np

import gradatlas as ga
from gradatlas import settings
from gradatlas.runtime import configure_process

SOLVER = {"lotka_volterra": "tsit5", "hodgkin_huxley": "tsit5", "robertson": "kvaerno5"}


def main():
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--models", nargs="+", default=list(SOLVER))
    parser.add_argument("--design", default="data_fit")
    parser.add_argument("--methods", nargs="+", default=None, help="default: every registered method")
    parser.add_argument("--repeats", type=int, default=1)
    parser.add_argument(
        "--targets",
        nargs="+",
        type=float,
        default=[1e-4, 1e-6, 1e-8],
        help="error levels of the JAX-vs-CVODES table at matched accuracy",
    )
    args = parser.parse_args()
    configure_process()
    warnings.filterwarnings("ignore")
    rtols = np.logspace(-3, -12, 10)
    print(
        f"{'model':16s} {'solver':9s} {'method':20s} {'trace':>7s} {'compile':>8s} {'sweep':>7s} {'total':>7s}  statuses"
    )
    cells, errors = {}, {}
    thresholds = settings.thresholds(settings.schema_defaults())
    for model in args.models:
        solver = SOLVER.get(model, "tsit5")
        ref = ga.compute_reference(settings.for_reference(model, args.design))
        for method in args.methods or ga.METHODS.slugs():
            t0 = time.perf_counter()
            cell = ga.run_cell(
                settings.for_cell(model, solver, args.design, method, rtols, repeats=args.repeats), ref
            )
            cells[model, method] = cell
            errors[model, method] = ga.score_cell(cell.grad, cell.status, ref, thresholds).error
            total = time.perf_counter() - t0
            sweep = float(np.nansum(cell.run_time))
            statuses = ",".join(sorted(set(cell.status)))
            print(
                f"{model:16s} {solver:9s} {method:20s} {cell.trace_time:7.2f} {cell.compile_time:8.2f} "
                f"{sweep:7.2f} {total:7.2f}  {statuses}",
                flush=True,
            )

    print()
    print("JAX vs CVODES at matched accuracy (fastest run time per gradient reaching each error;")
    print("ratio = JAX / CVODES, below 1: JAX faster)")
    print("| model | error <= | fastest JAX method (rtol) | s | fastest CVODES method (rtol) | s | ratio |")
    print("|---|---|---|---|---|---|---|")
    for model in args.models:
        for target in args.targets:
            best = {}
            for side, is_cv in (("jax", False), ("cvodes", True)):
                cands = [
                    (c.run_time[i], meth, c.rtols[i])
                    for (mm, meth), c in cells.items()
                    if mm == model and meth.startswith("cvodes") == is_cv
                    for i in range(len(c.rtols))
                    if np.isfinite(errors[mm, meth][i])
                    and errors[mm, meth][i] <= target
                    and np.isfinite(c.run_time[i])
                ]
                best[side] = min(cands) if cands else (np.nan, "none", np.nan)
            (tj, mj, rj), (tc, mc, rc) = best["jax"], best["cvodes"]
            print(
                f"| {model} | {target:.0e} | {mj} ({rj:.0e}) | {tj:.3g} | {mc} ({rc:.0e}) | {tc:.3g} | {tj / tc:.3g} |"
            )


if __name__ == "__main__":
    main()
