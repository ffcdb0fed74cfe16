"""Scored error against rtol (log-log), one line per method, faceted by model and design.

The dashed grey line is error = rtol: a convergent method runs parallel to it;
one that stops converging flattens out.
"""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np

from . import _style


def plot(atlas, outdir):
    _style.set_style()
    models = _style.ordered_models(atlas)
    designs = [str(d) for d in atlas["design"].values]
    methods = [str(m) for m in atlas["method"].values]
    palette = _style.method_palette(methods)
    markers = _style.method_markers(methods)
    rtols = atlas["rtol"].values
    styles = ["-", "--", ":", "-."]
    solvers_of = _style.solvers_by_model(atlas)
    fig, axes = plt.subplots(len(models), len(designs), figsize=(2.3 * len(designs) + 1.5, 1.9 * len(models)),
                             squeeze=False, sharex=True)  # fmt: skip
    for i, m in enumerate(models):
        solvers = solvers_of.get(m, [])
        for j, d in enumerate(designs):
            ax = axes[i, j]
            for k, s in enumerate(solvers):
                for meth in methods:
                    sel = atlas.sel(model=m, design=d, solver=s).sel({"method": meth})
                    err = np.where(
                        sel["regime"].isin(["accurate", "degraded", "wrong"]), sel["error"], np.nan
                    )
                    ax.plot(rtols, err, styles[k % 4], marker=markers[meth], ms=3, lw=1.1, color=palette[meth],
                            mfc="none",
                            label=f"{meth}" if k == 0 else None)  # fmt: skip
            ax.plot(rtols, rtols, "--", color="0.6", lw=0.8, zorder=0)
            ax.set_xscale("log")
            ax.set_yscale("log")
            if not ax.get_lines()[:-1] or all(np.all(np.isnan(ln.get_ydata())) for ln in ax.get_lines()[:-1]):
                ax.text(
                    0.5, 0.5, "no scored cells", ha="center", va="center", transform=ax.transAxes, color="0.4"
                )
            if i == 0:
                ax.set_title(d)
            if j == 0:
                ax.set_ylabel(f"{m}\n({', '.join(solvers)})\nerror", fontsize="small")
            if i == len(models) - 1:
                ax.set_xlabel(_style.label(atlas, "rtol"))
    handles = [
        plt.Line2D([], [], color=palette[m], marker=markers[m], mfc="none", ms=4, label=m) for m in methods
    ]
    handles += [plt.Line2D([], [], color="0.3", ls=styles[k], label=f"solver {k + 1} of the row")
                for k in range(max(map(len, solvers_of.values()), default=0))]  # fmt: skip
    handles.append(plt.Line2D([], [], color="0.6", ls="--", label="error = rtol"))
    fig.legend(handles=handles, loc="lower center", ncol=4, frameon=False, bbox_to_anchor=(0.5, 1.0))
    fig.tight_layout()
    return _style.save(fig, outdir, "error_vs_tolerance")
