"""Regime map: accurate / degraded / wrong / not scored, per (model · solver, rtol), one panel per (design, method).

A categorical view, so the regimes read at a glance (the error magnitudes are in the
error-vs-tolerance figure). One block of panels per design, titled with its name;
rows run from non-stiff through stiff, spiking and chaotic models to systems-biology
problems; methods are grouped by whether their sensitivities enter an adaptive
error norm. Failed, unsupported, no_reference and excluded cells are hatched or grey; a
(model, solver) pair excluded from a whole design has no row in that design's block.
"""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np
from matplotlib.colors import ListedColormap
from matplotlib.patches import Patch

from . import _style

#: regime -> (face colour, hatch), in legend order
REGIMES = {
    "accurate": ("#1a9850", ""),
    "degraded": ("#fee08b", ""),
    "wrong": ("#d73027", ""),
    **_style.NOT_SCORED,
}
TICK_PT = 8


def plot(atlas, outdir):
    _style.set_style()
    designs = [str(d) for d in atlas["design"].values]
    methods = _style.methods_by_control(atlas)
    rtols = atlas["rtol"].values
    pairs = _style.run_pairs(atlas)
    run = _style.in_grid(atlas, "design", "model", "solver")
    rows = {d: [(m, s) for m, s in pairs if bool(run.sel(design=d, model=m, solver=s))] or pairs
            for d in designs}  # fmt: skip
    n_cols = len(rtols)
    label_w = 0.075 * max(len(f"{m} · {s}") for m, s in pairs)  # inches for the row labels
    panel_w, row_h = max(0.3 + 0.22 * n_cols, 0.075 * max(len(m) for m, _ in methods) + 0.25), 0.19
    width = label_w + panel_w * len(methods) + 0.4
    # per block: its title, the panels' two-line titles, tick labels and x label (1.05 in) and the rows
    heights = [0.7] + [1.05 + row_h * len(rows[d]) for d in designs]
    fig = plt.figure(figsize=(width, sum(heights)), layout="constrained")
    top, *blocks = fig.subfigures(len(designs) + 1, 1, height_ratios=heights)
    cmap = ListedColormap([face for face, _ in REGIMES.values()])
    codes = {name: k for k, name in enumerate(REGIMES)}
    for sub, d in zip(blocks, designs, strict=True):
        sub.suptitle(f"design: {d}", x=0.0, ha="left", fontsize=10, fontweight="bold")
        axes = sub.subplots(1, len(methods), sharey=True, squeeze=False)[0]
        for ax, (meth, controlled) in zip(axes, methods, strict=True):
            sel = atlas.sel(design=d).sel({"method": meth})
            reg = np.array([sel["regime"].sel(model=m, solver=s).values.astype(str) for m, s in rows[d]])
            grid = np.vectorize(lambda r: codes.get(r, codes["failed"]))(reg)
            ax.imshow(
                grid, cmap=cmap, vmin=-0.5, vmax=len(REGIMES) - 0.5, aspect="auto", interpolation="nearest"
            )
            for (r, c), name in np.ndenumerate(reg):
                hatch = REGIMES.get(name, REGIMES["failed"])[1]
                if hatch:
                    ax.add_patch(plt.Rectangle((c - 0.5, r - 0.5), 1, 1, fill=False, hatch=hatch,
                                               edgecolor="#555555", linewidth=0.0))  # fmt: skip
            ax.set_xticks(range(n_cols), [f"{np.log10(t):.0f}" for t in rtols], fontsize=TICK_PT)
            ax.set_yticks(range(len(rows[d])), [f"{m} · {s}" for m, s in rows[d]], fontsize=TICK_PT)
            ax.tick_params(length=2, pad=1)
            ax.set_title(f"{meth}\n({'controlled' if controlled else 'states only'})", fontsize=TICK_PT)
            ax.set_xlabel("log10 rtol", fontsize=TICK_PT)
    handles = [Patch(facecolor=f, hatch=h, edgecolor="#555555", label=k) for k, (f, h) in REGIMES.items()]
    accurate, degraded = _style.thresholds(atlas)
    top.legend(handles=handles, loc="center", ncol=len(handles), frameon=False, fontsize=9, title_fontsize=9,
               title=f"regime (accurate: error ≤ {accurate:g}; degraded: ≤ {degraded:g}; wrong: above). Methods: "
                     "'states only': the steps are chosen for the states alone; 'controlled': the sensitivities "
                     "enter the error norm")  # fmt: skip
    return _style.save(fig, outdir, "regime_map")


def panel_values(err: np.ndarray, reg: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(scored mask, log10 error) of a panel, as the error-vs-tolerance figure draws them: an
    infinite error (a gradient that overflowed) is "wrong" and sits at the top of the scale,
    not the blank of a missing value."""
    scored = np.isin(reg, ["accurate", "degraded", "wrong"]) & ~np.isnan(err)
    with np.errstate(divide="ignore"):
        val = np.where(scored, np.log10(np.clip(err, 1e-300, 1e300)), np.nan)
    return scored, val
