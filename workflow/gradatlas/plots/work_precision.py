"""Work-precision diagram for gradients: error against run time per gradient, one Pareto front per method.

For each model (one panel) and method, every scored (solver, rtol) of one design
(``data_fit`` by default: its reference gradient is not zero) is a faint point, and
the method's Pareto front (the lowest error reached at or below each run time) is a
step line: lower-left is better, and fronts do not cross back on themselves the way
per-tolerance lines did.
"""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np

from . import _style


def pareto_front(times: np.ndarray, errors: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The points no other point beats in both run time and error, sorted by run time."""
    ok = np.isfinite(times) & np.isfinite(errors)
    t, e = times[ok], errors[ok]
    order = np.lexsort((e, t))
    front_t, front_e, best = [], [], np.inf
    for k in order:
        if e[k] < best:
            front_t.append(t[k])
            front_e.append(e[k])
            best = e[k]
    return np.asarray(front_t), np.asarray(front_e)


def plot(atlas, outdir, design: str = "data_fit"):
    _style.set_style()
    designs = [str(d) for d in atlas["design"].values]
    design = design if design in designs else designs[0]
    models = _style.ordered_models(atlas)
    methods = [m for m, _ in _style.methods_by_control(atlas)]
    palette = _style.method_palette(methods)
    marker = _style.method_markers(methods)
    solvers_of = _style.solvers_by_model(atlas)
    n_cols = min(4, len(models))
    n_rows = int(np.ceil(len(models) / n_cols))
    fig, axes = plt.subplots(n_rows, n_cols, figsize=(3.0 * n_cols, 2.6 * n_rows), squeeze=False)
    for idx, m in enumerate(models):
        ax = axes.flat[idx]
        ax.set_title(f"{m} ({', '.join(solvers_of.get(m, []))})", fontsize="small")
        sel_m = atlas.sel(model=m, design=design)
        drawn = False
        for meth in methods:
            sel = sel_m.sel({"method": meth})
            ok = sel["regime"].isin(["accurate", "degraded", "wrong"]).values
            t = np.where(ok, sel["run_time"].values, np.nan).ravel()
            e = np.where(ok, sel["error"].values, np.nan).ravel()
            if not np.any(np.isfinite(t) & np.isfinite(e)):
                continue
            drawn = True
            ax.plot(t, e, marker[meth], ms=2.5, color=palette[meth], alpha=0.3, mfc="none", ls="none")
            ft, fe = pareto_front(t, e)
            ax.step(ft, fe, where="post", color=palette[meth], lw=1.2)
            ax.plot(ft, fe, marker[meth], ms=3.5, color=palette[meth], mfc="none", ls="none")
        if not drawn:
            ax.text(
                0.5, 0.5, f"no scored cells\nfor {design}", ha="center", va="center", transform=ax.transAxes
            )
            ax.set_xticks([])
            ax.set_yticks([])
            continue
        _style.log_axes(ax, whole_decades=True)
        ax.set_xlabel("run time per gradient [s]", fontsize="small")
        ax.set_ylabel("error", fontsize="small")
    for ax in axes.flat[len(models) :]:
        ax.set_visible(False)
    handles = _style.method_legend(atlas, palette, marker)
    fig.legend(handles=handles, loc="lower center", ncol=4, frameon=False, bbox_to_anchor=(0.5, 1.0),
               title=f"design: {design}; lines: each method's Pareto front, faint points: every (solver, rtol)",
               fontsize=8)  # fmt: skip
    fig.tight_layout()
    return _style.save(fig, outdir, "work_precision")
