"""One shared style for every figure, and deterministic saving.

Figures read the atlas; they never recompute science. The same atlas gives
byte-identical SVG, PDF and PNG files: fixed ``svg.hashsalt``, no dates or
software versions in the metadata.
"""

from __future__ import annotations

from pathlib import Path

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import seaborn as sns  # noqa: E402

from ..atlas import CATEGORY_ORDER  # noqa: E402

FORMATS = ("svg", "pdf", "png")
#: metadata keys cleared per backend so files carry no date or version
_METADATA = {
    "svg": {"Date": None, "Creator": None},
    "pdf": {"CreationDate": None, "ModDate": None, "Creator": None, "Producer": None},
    "png": {"Software": None},
}
#: regimes that are not a score, drawn hatched so they never read as "accurate"
NOT_SCORED = {
    "failed": ("#bdbdbd", "////"),
    "unsupported": ("#ffffff", "xxxx"),
    "no_reference": ("#cfe3f3", "...."),  # pale blue: never confused with viridis yellow (wrong)
    "excluded": ("#f0f0f0", ""),
}
ERROR_RANGE = (-14.0, 2.0)  # log10 error, one shared colour scale


def set_style() -> None:
    sns.set_theme(context="paper", style="ticks")
    plt.rcParams.update(
        {
            "svg.hashsalt": "gradatlas",
            "svg.fonttype": "path",
            "pdf.compression": 6,
            "figure.dpi": 100,
            "savefig.dpi": 150,
            "axes.titlesize": "medium",
        }
    )


def method_palette(methods) -> dict:
    """Colour-blind-safe colours, fixed per method slug (same in every figure)."""
    from ..methods import METHODS

    order = list(METHODS.slugs()) + [m for m in methods if m not in METHODS]
    colours = sns.color_palette("colorblind", n_colors=max(len(order), 10))
    return {m: colours[order.index(m) % len(colours)] for m in methods}


def method_markers(methods) -> dict:
    """A marker per method, so overlapping lines stay distinguishable."""
    shapes = ["o", "s", "^", "D", "v", "P", "X", "*"]
    return {m: shapes[i % len(shapes)] for i, m in enumerate(methods)}


def methods_by_control(atlas) -> list[tuple[str, bool]]:
    """(method, sensitivities error-controlled?) in atlas order, the uncontrolled ones first."""
    control = [(str(m), str(c) == "yes") for m, c in zip(atlas["method"].values, atlas["tangent_error_control"].values,
                                                         strict=True)]  # fmt: skip
    return [mc for mc in control if not mc[1]] + [mc for mc in control if mc[1]]


def thresholds(atlas) -> tuple[float, float]:
    """(accurate, degraded) thresholds the atlas was scored with."""
    return float(atlas.attrs["threshold_accurate"]), float(atlas.attrs["threshold_degraded"])


def method_legend(atlas, palette, markers) -> list:
    """Legend handles for the methods, in two titled groups: steps from the states alone, and
    sensitivities under error control."""
    handles = []
    for controlled, title in (
        (False, "steps from the states alone"),
        (True, "sensitivities error-controlled"),
    ):
        handles.append(plt.Line2D([], [], ls="none", label=title))
        handles += [plt.Line2D([], [], color=palette[m], marker=markers[m], mfc="none", ms=4, label=f"  {m}")
                    for m, c in methods_by_control(atlas) if c == controlled]  # fmt: skip
    return handles


def log_axes(ax, whole_decades: bool = False) -> None:
    """Log-log axes whose tick labels never overlap: labels on decades only (matplotlib labels
    minor ticks on short spans, and they collide in small panels). ``whole_decades`` widens the
    limits to whole decades, so that a short span still has labelled ticks."""
    from matplotlib.ticker import NullFormatter

    ax.set_xscale("log")
    ax.set_yscale("log")
    for axis, (get, put) in ((ax.xaxis, (ax.get_xlim, ax.set_xlim)), (ax.yaxis, (ax.get_ylim, ax.set_ylim))):
        axis.set_minor_formatter(NullFormatter())
        if whole_decades:
            lo, hi = get()
            put(10.0 ** np.floor(np.log10(lo)), 10.0 ** np.ceil(np.log10(hi)))


def label(atlas, name: str) -> str:
    attrs = atlas[name].attrs
    text = attrs.get("long_name", name)
    units = attrs.get("units", "1")
    return text if units in ("1", "") else f"{text} [{units}]"


def ordered_models(atlas) -> list[str]:
    """Models from non-stiff through stiff and spiking to chaotic (config order within)."""
    models = list(atlas["model"].values)
    cats = list(atlas["category"].values)
    rank = {c: i for i, c in enumerate(CATEGORY_ORDER)}
    return [
        m
        for _, _, m in sorted(
            (rank.get(c, 99), i, m) for i, (m, c) in enumerate(zip(models, cats, strict=True))
        )
    ]


def in_grid(atlas, *dims: str):
    """Boolean DataArray over ``dims``: whether that combination has at least one cell that
    is not excluded by the config (True for any cell that ran, whatever its outcome)."""
    run = atlas["regime"].astype(str) != "excluded"
    return run.any([d for d in run.dims if d not in dims])


def run_pairs(atlas) -> list[tuple[str, str]]:
    """(model, solver) pairs with at least one non-excluded cell, in row order."""
    run = in_grid(atlas, "model", "solver")
    return [(m, str(s)) for m in ordered_models(atlas) for s in atlas["solver"].values
            if bool(run.sel(model=m, solver=s))]  # fmt: skip


def solvers_by_model(atlas) -> dict[str, list[str]]:
    """Model -> the solvers it was run with, from :func:`run_pairs`."""
    out: dict[str, list[str]] = {}
    for m, s in run_pairs(atlas):
        out.setdefault(m, []).append(s)
    return out


def save(fig, outdir: str | Path, stem: str) -> list[Path]:
    """Write the figure in every format of ``FORMATS``, cropped to its contents.

    The layout (a constrained layout engine, if the figure has one) and the crop box are
    computed once, on a first draw, and then frozen: each format is then one draw, not the
    two or three that ``bbox_inches="tight"`` and a layout engine cost per format (the
    figures of a large atlas have hundreds of axes).
    """
    outdir = Path(outdir)
    outdir.mkdir(parents=True, exist_ok=True)
    fig.canvas.draw()
    crop = fig.get_tightbbox(fig.canvas.get_renderer()).padded(plt.rcParams["savefig.pad_inches"])
    fig.set_layout_engine("none")
    paths = []
    for fmt in FORMATS:
        path = outdir / f"{stem}.{fmt}"
        fig.savefig(path, format=fmt, metadata=_METADATA[fmt], bbox_inches=crop)
        paths.append(path)
    plt.close(fig)
    return paths
