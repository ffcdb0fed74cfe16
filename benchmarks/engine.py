"""Engine benchmark: trace+compile time and the run time of a 10-tolerance sweep, per cell.

    python3 benchmarks/engine.py [--models lotka_volterra hodgkin_huxley robertson]

One cell per (model, method), design data_fit, tolerances 1e-3 ... 1e-12,
one timed call per tolerance. References are computed first and not timed.
Target (issue 2): for a non-stiff model, compile plus the whole sweep <= 5 s per cell.
"""

import argparse
import time
import warnings

import numpy as np

import gradatlas as ga
from gradatlas.runtime import configure_process

SOLVER = {"lotka_volterra": "tsit5", "hodgkin_huxley": "tsit5", "robertson": "kvaerno5"}


def main():
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--models", nargs="+", default=list(SOLVER))
    parser.add_argument("--design", default="data_fit")
    args = parser.parse_args()
    configure_process()
    warnings.filterwarnings("ignore")
    rtols = np.logspace(-3, -12, 10)
    print(
        f"{'model':16s} {'solver':9s} {'method':20s} {'trace':>7s} {'compile':>8s} {'sweep':>7s} {'total':>7s}  statuses"
    )
    for model in args.models:
        solver = SOLVER.get(model, "tsit5")
        ref = ga.compute_reference(model, args.design)
        for method in ga.METHODS.slugs():
            t0 = time.perf_counter()
            cell = ga.run_cell(model, solver, args.design, method, rtols, ref, repeats=1)
            total = time.perf_counter() - t0
            sweep = float(np.nansum(cell.run_time))
            statuses = ",".join(sorted(set(cell.status)))
            print(
                f"{model:16s} {solver:9s} {method:20s} {cell.trace_time:7.2f} {cell.compile_time:8.2f} "
                f"{sweep:7.2f} {total:7.2f}  {statuses}",
                flush=True,
            )


if __name__ == "__main__":
    main()
