"""Aggregate sweep files into one atlas with dims (model, design, solver, method, rtol)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import xarray as xr

from .grid import all_cells, exclusion_reason, jobs
from .io import open_checked
from .models import MODELS

#: row order of reports: non-stiff, then stiff, spiking, chaotic
CATEGORY_ORDER = ("nonstiff", "stiff", "spiking", "chaotic")

#: scalar-per-tolerance variables copied from sweep files into the atlas
PER_RTOL = ("error", "cosine", "max_param_error", "loss", "status", "message", "regime",
            "n_steps", "n_rejected", "run_time")  # fmt: skip
PER_CELL = ("compile_time", "trace_time", "reference_error", "scale")
STRINGS = ("status", "message", "regime")
INTS = ("n_steps", "n_rejected")


def sweep_path(root, cell) -> Path:
    return Path(root) / cell.model / cell.design / cell.solver / f"{cell.method}.nc"


def build_atlas(config: dict, sweep_root: str | Path) -> xr.Dataset:
    """Every configured cell exactly once; excluded cells carry their reason."""
    models, designs = list(config["models"]), list(config["designs"])
    solvers, methods = list(config["solvers"]), list(config["methods"])
    rtols = np.asarray(config["rtols"], dtype=float)
    shape = (len(models), len(designs), len(solvers), len(methods), len(rtols))
    data = {}
    for v in PER_RTOL + PER_CELL:
        if v in STRINGS:
            data[v] = np.full(shape, "", dtype=object)
        elif v in INTS:
            data[v] = np.full(shape, -1, dtype=np.int64)
        else:
            data[v] = np.full(shape, np.nan)
    for cell in all_cells(config):
        idx = (models.index(cell.model), designs.index(cell.design),
               solvers.index(cell.solver), methods.index(cell.method))  # fmt: skip
        reason = exclusion_reason(config, cell)
        if reason is not None:
            data["status"][idx] = "excluded"
            data["regime"][idx] = "excluded"
            data["message"][idx] = reason
            continue
        path = sweep_path(sweep_root, cell)
        ds = open_checked(path)
        got = ds["rtol"].values
        if got.shape != rtols.shape or not np.allclose(got, rtols, rtol=1e-12):
            raise ValueError(f"{path}: tolerances {got} differ from the config's {rtols}")
        for v in PER_RTOL:
            data[v][idx] = ds[v].values
        for v in PER_CELL:
            data[v][idx] = float(ds[v])
    dims = ("model", "design", "solver", "method", "rtol")
    return xr.Dataset(
        {v: (dims, a) for v, a in data.items()},
        coords={
            "model": models,
            "design": designs,
            "solver": solvers,
            "method": methods,
            "rtol": rtols,
            "category": ("model", [MODELS[m].category for m in models]),
        },
    )


def atlas_table(atlas: xr.Dataset) -> pd.DataFrame:
    """The atlas as a tidy table: one row per (model, design, solver, method, rtol)."""
    return atlas.to_dataframe().reset_index()


def reference_check_table(config: dict, check_root: str | Path) -> pd.DataFrame:
    """Each reference next to its CVODES cross-check. ``flag`` is DISAGREES when the
    disagreement exceeds both estimated errors (the reference's and CVODES's)."""
    rows = []
    for model, design in sorted({(c.model, c.design) for c in jobs(config)}):
        path = Path(check_root) / model / f"{design}.nc"
        ds = open_checked(path)
        ref_err, cv_err = float(ds["reference_error"]), float(ds["cvodes_error"])
        cv_rtol = float(ds["cvodes_rtol"])
        dis = float(ds["cvodes_disagreement"])
        flag = "DISAGREES" if (np.isfinite(dis) and dis > ref_err and dis > cv_err) else (
            "no check" if not np.isfinite(dis) else "ok")  # fmt: skip
        rows.append(
            {
                "model": model,
                "design": design,
                "observed": ds.attrs["observed"],
                "reference_solver": ds.attrs["solver"],
                "reference_rtol": float(ds.attrs["rtol"]),
                "reference_error": ref_err,
                "cvodes_rtol": cv_rtol,
                "cvodes_error": cv_err,
                "disagreement": dis,
                "flag": flag,
                "message": ds.attrs.get("cvodes_message", ""),
            }
        )
    return pd.DataFrame(rows)


def reference_check_html(table: pd.DataFrame) -> str:
    bad = table[table["flag"] == "DISAGREES"]
    if len(bad):
        head = (
            '<div style="background:#b00020;color:white;padding:1em;font-size:1.3em">'
            f"<b>WARNING: {len(bad)} reference(s) disagree with CVODES by more than both estimated "
            "errors.</b> Cells scored against them may be wrong; this is a finding, not noise.</div>"
        )
    else:
        head = "<p><b>Every checked reference agrees with CVODES within the estimated errors.</b></p>"
    return head + table.to_html(index=False, border=0, float_format=lambda x: f"{x:.3g}")
