"""Timing against the peer: our fastest JAX method vs SUNDIALS CVODES, at matched accuracy.

    python3 benchmarks/cvodes_peer.py [results/atlas.nc] [--design data_fit] [--targets 1e-4 1e-6 1e-8]

Reads the atlas (no recomputation). For each model and target error E, the
fastest run time per gradient among the JAX methods (over every solver and rtol
whose scored error is <= E), the fastest among the CVODES methods, and their
ratio (JAX / CVODES; below 1 means JAX is faster). Run times are medians of the
timed repeats after compilation; CasADi function construction is excluded like
JAX compilation is.
"""

import argparse

import numpy as np
import xarray as xr

CVODES = ("cvodes_forward", "cvodes_adjoint")


def fastest(atlas, model, design, methods, target):
    best = (np.inf, "", "", np.nan)
    for meth in methods:
        sel = atlas.sel(model=model, design=design).sel({"method": meth})
        err, rt = sel["error"].values, sel["run_time"].values  # (solver, rtol)
        ok = np.isfinite(err) & (err <= target) & np.isfinite(rt)
        for i, j in zip(*np.nonzero(ok), strict=True):
            if rt[i, j] < best[0]:
                best = (rt[i, j], meth, str(atlas["solver"].values[i]), float(atlas["rtol"].values[j]))
    return best


def main():
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("atlas", nargs="?", default="results/atlas.nc")
    parser.add_argument("--design", default="data_fit")
    parser.add_argument("--targets", nargs="+", type=float, default=[1e-4, 1e-6, 1e-8])
    args = parser.parse_args()
    atlas = xr.open_dataset(args.atlas)
    methods = [str(m) for m in atlas["method"].values]
    jax_methods = [m for m in methods if m not in CVODES]
    cv_methods = [m for m in methods if m in CVODES]
    if not cv_methods:
        raise SystemExit("the atlas has no CVODES methods")
    print(f"design {args.design}; run time per gradient (s); ratio = JAX / CVODES")
    print(
        "| model | target error | fastest JAX (method, solver, rtol) | s | fastest CVODES (method, rtol) | s | ratio |"
    )
    print("|---|---|---|---|---|---|---|")
    for model in atlas["model"].values:
        for target in args.targets:
            j = fastest(atlas, model, args.design, jax_methods, target)
            c = fastest(atlas, model, args.design, cv_methods, target)
            ratio = j[0] / c[0] if np.isfinite(j[0]) and np.isfinite(c[0]) else np.nan
            jtxt = f"{j[1]}, {j[2]}, {j[3]:.0e}" if np.isfinite(j[0]) else "none reaches it"
            ctxt = f"{c[1]}, {c[3]:.0e}" if np.isfinite(c[0]) else "none reaches it"
            print(f"| {model} | {target:.0e} | {jtxt} | {j[0]:.3g} | {ctxt} | {c[0]:.3g} | {ratio:.3g} |")


if __name__ == "__main__":
    main()
