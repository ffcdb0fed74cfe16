"""Work-precision diagram for gradients: scored error against run time per gradient.

One line per method (through the tolerances), faceted by model, for one design
(``data_fit`` by default: its reference gradient is not zero).
"""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np

from . import _style


def plot(atlas, outdir, design: str = "data_fit"):
    _style.set_style()
    designs = [str(d) for d in atlas["design"].values]
    design = design if design in designs else designs[0]
    models = _style.ordered_models(atlas)
    methods = [str(m) for m in atlas["method"].values]
    palette = _style.method_palette(methods)
    marker = _style.method_markers(methods)
    solvers_of = _style.solvers_by_model(atlas)
    n_cols = min(4, len(models))
    n_rows = int(np.ceil(len(models) / n_cols))
    fig, axes = plt.subplots(n_rows, n_cols, figsize=(3.0 * n_cols, 2.6 * n_rows), squeeze=False)
    for idx, m in enumerate(models):
        ax = axes.flat[idx]
        solvers = solvers_of.get(m, [])
        ax.set_title(f"{m} ({', '.join(solvers)})", fontsize="small")
        if not np.any(np.isfinite(atlas["run_time"].sel(model=m, design=design).values)):
            ax.text(
                0.5, 0.5, f"no scored cells\nfor {design}", ha="center", va="center", transform=ax.transAxes
            )
            ax.set_xticks([])
            ax.set_yticks([])
            continue
        for k, s in enumerate(solvers):
            for meth in methods:
                sel = atlas.sel(model=m, design=design, solver=s).sel({"method": meth})
                ok = sel["regime"].isin(["accurate", "degraded", "wrong"]).values
                t = np.where(ok, sel["run_time"].values, np.nan)
                e = np.where(ok, sel["error"].values, np.nan)
                ax.plot(
                    t,
                    e,
                    ["-", "--", ":", "-."][k % 4],
                    marker=marker[meth],
                    mfc="none",
                    ms=3.5,
                    lw=1.0,
                    color=palette[meth],
                )
        ax.set_xscale("log")
        ax.set_yscale("log")
        ax.set_xlabel(_style.label(atlas, "run_time"), fontsize="small")
        ax.set_ylabel("error", fontsize="small")
    for ax in axes.flat[len(models) :]:
        ax.set_visible(False)
    handles = [
        plt.Line2D([], [], color=palette[m], marker=marker[m], mfc="none", ms=4, label=m) for m in methods
    ]
    handles += [plt.Line2D([], [], color="0.3", ls=ls, label=f"solver {k + 1} of the panel")
                for k, ls in enumerate(["-", "--"])]  # fmt: skip
    fig.legend(handles=handles, loc="lower center", ncol=4, frameon=False, bbox_to_anchor=(0.5, 1.0),
               title=f"design: {design}")  # fmt: skip
    fig.tight_layout()
    return _style.save(fig, outdir, "work_precision")
