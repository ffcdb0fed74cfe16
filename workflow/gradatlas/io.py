"""NetCDF I/O for references, sweep cells and the atlas, with CF-style metadata.

Every variable gets ``units`` and ``long_name`` right before writing (most
xarray operations drop attributes). Global attributes carry provenance.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import xarray as xr

from . import provenance
from .errors import CorruptFile
from .reference import Reference
from .sweep import CellResult

ENGINE = "h5netcdf"

#: name -> (long_name, units)
VARIABLES = {
    "grad": ("gradient of the loss", "loss units / parameter units"),
    "ref_grad": ("reference gradient", "loss units / parameter units"),
    "grad_check": ("gradient of the independent check solve", "loss units / parameter units"),
    "point": ("parameter point of the gradient", "parameter units"),
    "delta": ("relative parameter perturbation of data_fit", "1"),
    "ts": ("observation time", "model time units"),
    "targets": ("observation target", "state units"),
    "loss": ("loss value", "loss units"),
    "error": ("scored gradient error (relative, or normalised by the local gradient scale)", "1"),
    "cosine": ("cosine similarity of gradient and reference", "1"),
    "max_param_error": ("worst per-parameter relative error", "1"),
    "status": ("solver/method status", "1"),
    "message": ("status message", "1"),
    "regime": ("accuracy regime", "1"),
    "n_steps": ("accepted steps of the differentiated solve(s)", "count"),
    "n_rejected": ("rejected steps of the differentiated solve(s)", "count"),
    "run_time": ("run time per gradient (median of the timed calls, after warm-up)", "s"),
    "run_times": ("run time per gradient, every repeat", "s"),
    "compile_time": ("trace and compile time of the cell program", "s"),
    "trace_time": ("trace and lowering part of compile_time", "s"),
    "prepare_time": ("time to compute the design's observations (nominal solves, their compile)", "s"),
    "warmup_time": ("untimed warm-up calls before the timed calls", "s"),
    "source_hash": ("SHA-256 of the gradatlas source that computed the cell", "1"),
    "git_dirty": ("uncommitted changes in the package when the cell was computed", "1"),
    "reference_error": ("estimated relative error of the reference", "1"),
    "scale": ("reference gradient norm, or local gradient scale", "loss units / parameter units"),
    "rtol": ("relative tolerance", "1"),
    "repeat": ("timing repeat", "1"),
    "cvodes_rtol": ("CVODES tolerance of the cross-check", "1"),
    "cvodes_error": ("estimated relative error of the CVODES cross-check", "1"),
    "cvodes_disagreement": ("relative disagreement of CVODES with the reference", "1"),
    "category": ("model category (nonstiff, stiff, spiking, chaotic, systems_biology)", "1"),
    "failure_class": (
        "failure class the model was built to provoke (none, tangent_blind, discontinuity, atol_scale)",
        "1",
    ),
    "tangent_error_control": (
        "do the method's sensitivities (tangents or adjoint) enter an adaptive error norm",
        "1",
    ),
    "own_solver": ("the solver a method brings (empty: the cell's solver)", "1"),
}


def _annotate(ds: xr.Dataset) -> xr.Dataset:
    for name in list(ds.data_vars) + list(ds.coords):
        if name in VARIABLES:
            long_name, units = VARIABLES[name]
            ds[name].attrs.update(long_name=long_name, units=units)
        elif "units" not in ds[name].attrs:
            ds[name].attrs.update(long_name=name.replace("_", " "), units="1")
    return ds


def write(ds: xr.Dataset, path: str | Path, config: dict | None = None, history: str = "") -> None:
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    ds = _annotate(ds)
    ds.attrs.update(provenance.attributes(config, history))
    tmp = path.with_suffix(path.suffix + ".part")
    ds.to_netcdf(tmp, engine=ENGINE)
    tmp.replace(path)  # atomic: a killed job never leaves a half-written file behind


def open_checked(path: str | Path, remove_if_corrupt: bool = True) -> xr.Dataset:
    """Open and load a NetCDF result file.

    A truncated or corrupt file is removed (so that rerunning the same Snakemake command
    recomputes it) and :class:`CorruptFile` is raised, naming it. A missing file raises
    ``FileNotFoundError`` and is left to Snakemake.
    """
    path = Path(path)
    if not path.exists():
        raise FileNotFoundError(f"{path} does not exist")
    try:
        with xr.open_dataset(path, engine=ENGINE) as ds:
            return ds.load()
    except Exception as e:
        if not path.exists():  # another job found it corrupt and removed it meanwhile
            raise FileNotFoundError(f"{path} does not exist (removed while this job read it)") from e
        reason = f"{type(e).__name__}: {str(e).splitlines()[0] if str(e) else ''}"
        if remove_if_corrupt:
            path.unlink(missing_ok=True)
            raise CorruptFile(
                f"{path} is truncated or corrupt ({reason}); removed it: rerun the same command to recompute it"
            ) from e
        raise CorruptFile(f"{path} is truncated or corrupt ({reason})") from e


# ---- references ----
def reference_to_dataset(ref: Reference) -> xr.Dataset:
    ds = xr.Dataset(
        {
            "point": ("param", ref.point),
            "ref_grad": ("param", ref.grad),
            "grad_check": ("param", ref.grad_check),
            "delta": ("param", ref.delta),
            "ts": ("obs", ref.ts),
            "targets": (("obs", "observed"), ref.targets),
            "scale": ref.scale,
            "reference_error": ref.error,
        },
        coords={"observed": ref.observe, "param": ref.parameters},
    )
    ds.attrs.update(
        model=ref.model, design=ref.design, solver=ref.solver, rtol=ref.rtol,
        check_rtol=ref.check_rtol, zero_gradient=int(ref.zero_gradient), against_scale=int(ref.against_scale),
        t1=ref.t1,
        status=ref.status, message=ref.message, digest=ref.digest(),
    )  # fmt: skip
    return ds


def reference_from_dataset(ds: xr.Dataset) -> Reference:
    a = ds.attrs
    return Reference(
        model=a["model"], design=a["design"], observe=[str(s) for s in ds["observed"].values],
        parameters=[str(s) for s in ds["param"].values],
        solver=a["solver"], rtol=float(a["rtol"]), check_rtol=float(a["check_rtol"]),
        point=ds["point"].values, grad=ds["ref_grad"].values, grad_check=ds["grad_check"].values,
        scale=float(ds["scale"]), error=float(ds["reference_error"]),
        zero_gradient=bool(int(a["zero_gradient"])), against_scale=bool(int(a["against_scale"])),
        ts=ds["ts"].values,
        targets=ds["targets"].values, t1=float(a["t1"]), status=a["status"],
        message=a.get("message", ""), delta=ds["delta"].values,
    )  # fmt: skip


def check_to_dataset(ref: Reference, check: dict) -> xr.Dataset:
    """A reference's CVODES cross-check (see ``reference.cvodes_cross_check``)."""
    ds = xr.Dataset({k: check[k] for k in ("cvodes_rtol", "cvodes_error", "cvodes_disagreement")})
    ds["reference_error"] = ref.error
    ds.attrs.update(model=ref.model, design=ref.design, solver=ref.solver, rtol=ref.rtol,
                    observed=" ".join(ref.observe), cvodes_message=check["cvodes_message"])  # fmt: skip
    return ds


# ---- sweep cells ----
def cell_to_dataset(cell: CellResult) -> xr.Dataset:
    """A sweep file: gradients, statuses, step counts and timings; no scores (the
    aggregation scores cells against their references)."""
    r = ("rtol",)
    ds = xr.Dataset(
        {
            "grad": (("rtol", "param"), cell.grad),
            "loss": (r, cell.loss),
            "status": (r, np.asarray(cell.status, dtype=object)),
            "message": (r, np.asarray(cell.message, dtype=object)),
            "n_steps": (r, cell.n_steps),
            "n_rejected": (r, cell.n_rejected),
            "run_time": (r, cell.run_time),
            "run_times": (("rtol", "repeat"), cell.run_times),
            "compile_time": cell.compile_time,
            "trace_time": cell.trace_time,
            "prepare_time": cell.prepare_time,
            "warmup_time": cell.warmup_time,
        },
        coords={
            "rtol": cell.rtols,
            "param": cell.param_names,
            "repeat": np.arange(cell.run_times.shape[1]),
        },
    )
    ds.attrs.update(model=cell.model, solver=cell.solver, design=cell.design, method=cell.method,
                    reference_digest=cell.reference_digest)  # fmt: skip
    return ds
