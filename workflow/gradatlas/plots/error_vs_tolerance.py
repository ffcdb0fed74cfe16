"""Scored error against rtol (log-log), one line per method, faceted by model and design.

The dashed grey line is error = rtol: a convergent method runs parallel to it; one
that stops converging flattens out. An error of exactly zero (a gradient that is
exactly right, or a spurious gradient that is exactly zero) cannot sit on a log axis:
it is drawn at ``ZERO_FLOOR`` with an open triangle, marked in the legend. A panel whose
(model, design) has no cell in the grid (every cell excluded by the config) is left blank,
which the legend says, and a method with no scored cell in a panel draws no line there.
"""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np

from . import _style

ZERO_FLOOR = 1e-16


def plot(atlas, outdir):
    _style.set_style()
    models = _style.ordered_models(atlas)
    designs = [str(d) for d in atlas["design"].values]
    methods = [m for m, _ in _style.methods_by_control(atlas)]
    palette = _style.method_palette(methods)
    markers = _style.method_markers(methods)
    rtols = atlas["rtol"].values
    styles = ["-", "--", ":", "-."]
    solvers_of = _style.solvers_by_model(atlas)
    fig, axes = plt.subplots(len(models), len(designs), figsize=(2.3 * len(designs) + 1.5, 1.9 * len(models)),
                             squeeze=False, sharex=True)  # fmt: skip
    in_grid = (
        _style.in_grid(atlas, "model", "design")
        .sel(model=models, design=designs)
        .transpose("model", "design")
        .values
    )
    # each column's x axis is labelled under its lowest drawn panel
    lowest = len(models) - 1 - in_grid[::-1].argmax(axis=0)
    for i, m in enumerate(models):
        solvers = solvers_of.get(m, [])
        for j, d in enumerate(designs):
            ax = axes[i, j]
            row_label = f"{m}\n({', '.join(solvers)})\nerror"
            if i == 0:
                ax.set_title(d)
            if not in_grid[i, j]:  # blank (the legend says so); it keeps its row's label
                ax.set_axis_off()
                if j == 0:
                    ax.text(-0.25, 0.5, row_label, rotation=90, ha="center", va="center",
                            transform=ax.transAxes, fontsize="small")  # fmt: skip
                continue
            drawn = False
            for k, s in enumerate(solvers):
                for meth in methods:
                    sel = atlas.sel(model=m, design=d, solver=s).sel({"method": meth})
                    scored = sel["regime"].isin(["accurate", "degraded", "wrong"]).values
                    if not np.any(scored):
                        continue
                    err = np.where(scored, sel["error"].values, np.nan)
                    zero = scored & (err == 0)
                    ax.plot(rtols, np.where(zero, ZERO_FLOOR, err), styles[k % 4], marker=markers[meth], ms=3,
                            lw=1.1, color=palette[meth], mfc="none")  # fmt: skip
                    if np.any(zero):
                        ax.plot(
                            rtols[zero],
                            np.full(zero.sum(), ZERO_FLOOR),
                            "v",
                            ms=5,
                            color=palette[meth],
                            mfc="none",
                        )
                    drawn |= bool(np.any(scored))
            ax.plot(rtols, rtols, "--", color="0.6", lw=0.8, zorder=0)
            ax.axhline(ZERO_FLOOR, color="0.85", lw=0.6, zorder=0)
            _style.log_axes(ax)
            if not drawn:
                ax.text(
                    0.5, 0.5, "no scored cells", ha="center", va="center", transform=ax.transAxes, color="0.4"
                )
            if j == 0:
                ax.set_ylabel(row_label, fontsize="small")
            if i == lowest[j]:  # the column's x axis, under its lowest drawn panel
                ax.xaxis.set_tick_params(labelbottom=True)
                ax.set_xlabel(_style.label(atlas, "rtol"))
    handles = _style.method_legend(atlas, palette, markers)
    handles += [plt.Line2D([], [], color="0.3", ls=styles[k], label=f"solver {k + 1} of the row")
                for k in range(max(map(len, solvers_of.values()), default=0))]  # fmt: skip
    handles.append(plt.Line2D([], [], color="0.6", ls="--", label="error = rtol"))
    handles.append(plt.Line2D([], [], color="0.3", marker="v", ls="none", mfc="none",
                              label=f"exact zero (drawn at {ZERO_FLOOR:g})"))  # fmt: skip
    if not in_grid.all():
        handles.append(plt.Line2D([], [], ls="none", label="blank panel: not in the grid (excluded)"))
    fig.legend(
        handles=handles, loc="lower center", ncol=4, frameon=False, bbox_to_anchor=(0.5, 1.0), fontsize=8
    )
    fig.tight_layout()
    return _style.save(fig, outdir, "error_vs_tolerance")
