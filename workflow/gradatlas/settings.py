"""One typed settings object per kind of job, built from the validated config in one place.

The Snakemake rules call the ``*_settings(config, ...)`` builders below (through the
input functions in ``workflow/rules/common.smk``) and hand the result to the job as
JSON; the job parses it back with ``<Kind>Settings.from_json`` and passes the object
down. Nothing below the command line has a default of its own for a configured
value: the schema's defaults, filled in by :func:`gradatlas.config.validate`, are the
only defaults. Parsing is strict: a missing or unknown field is an error.

Settings are also the rerun trigger: Snakemake reruns a job when its settings change,
so each job's settings hold what that job's output depends on and nothing more (a
sweep's holds no thresholds: scoring happens in the aggregation).
"""

from __future__ import annotations

import dataclasses
import json
import typing
from dataclasses import dataclass

from .grid import Cell, observe_for, parameters_for, rtols_for, used_solvers


class SettingsError(ValueError):
    pass


class _Settings:
    """JSON round trip shared by the settings classes (tuples travel as lists)."""

    def to_json(self) -> str:
        return json.dumps(dataclasses.asdict(self), sort_keys=True)

    @classmethod
    def from_json(cls, text: str):
        data = json.loads(text)
        names = {f.name for f in dataclasses.fields(cls)}
        missing, unknown = names - set(data), set(data) - names
        if missing or unknown:
            raise SettingsError(
                f"{cls.__name__}: missing fields {sorted(missing)}, unknown fields {sorted(unknown)}"
            )
        return cls(**{k: _as_declared(v, cls, k) for k, v in data.items()})


def _as_declared(value, cls, name):
    hint = typing.get_type_hints(cls)[name]
    if typing.get_origin(hint) is tuple and isinstance(value, list):
        return tuple(tuple(v) if isinstance(v, list) else v for v in value)
    if dataclasses.is_dataclass(hint) and isinstance(value, dict):
        return hint(**value)
    return value


@dataclass(frozen=True)
class Thresholds:
    accurate: float
    degraded: float
    reference_max_error: float


@dataclass(frozen=True)
class ReferenceSettings(_Settings):
    """A reference gradient (and its CVODES cross-check) for one (model, design)."""

    model: str
    design: str
    model_file: str | None  # the user file that defines the model, if it is not built in
    observe: tuple[str, ...] | str  # state names, or "all"
    parameters: tuple[str, ...] | str  # the free parameters, or "all"
    n_obs: int
    seed: int
    delta: float
    rtol: float
    check_rtol: float
    max_steps: int
    t1: float | None  # None: the model's own time span


@dataclass(frozen=True)
class SweepSettings(_Settings):
    """One cell at every tolerance. Observed states, point and t1 come from its reference."""

    model: str
    design: str
    solver: str
    method: str
    model_file: str | None
    parameters: tuple[str, ...] | str  # must match the reference's (checked)
    rtols: tuple[float, ...]
    max_steps: int
    repeats: int
    repeat_below: float
    time_limit: float  # seconds per cell, 0: none


@dataclass(frozen=True)
class AtlasSettings(_Settings):
    """The grid the atlas spans, its exclusions and the scoring thresholds."""

    models: tuple[str, ...]
    designs: tuple[str, ...]
    solvers: tuple[str, ...]
    methods: tuple[str, ...]
    rtols: tuple[float, ...]
    model_rtols: tuple[tuple[float, ...], ...]  # per model: the rtols it runs at (rtols_by_model)
    #: the exclusion rules, not the excluded cells: the job applies them (``grid.exclusion_reason``).
    #: Expanded, the paper grid's 3 424 excluded cells made a 430 kB argument, past the kernel's
    #: 128 kB limit for one argument ("Argument list too long")
    solvers_by_model: dict
    exclude: tuple[dict, ...]
    categories: tuple[str, ...]  # per model: nonstiff, stiff, spiking, chaotic, systems_biology
    failure_classes: tuple[str, ...]  # per model: none, tangent_blind, discontinuity, atol_scale
    thresholds: Thresholds


@dataclass(frozen=True)
class OriginSettings(_Settings):
    """The forum thread's rows on one STG conductance set."""

    model: str
    rtol: float
    n_obs: int
    max_steps: int
    reference_rtol: float
    reference_check_rtol: float
    reference_max_steps: int


@dataclass(frozen=True)
class ChaosSettings(_Settings):
    """Lorenz-63 over growing horizons."""

    horizons: tuple[float, ...]
    rtols: tuple[float, ...]
    methods: tuple[str, ...]
    seed: int
    delta: float
    reference_rtol: float
    reference_check_rtol: float
    thresholds: Thresholds


# ---- builders: the one place where config values become job settings ----
def thresholds(config: dict) -> Thresholds:
    return Thresholds(**config["thresholds"])


def _names(value):
    return value if isinstance(value, str) else tuple(value)


def reference_settings(config: dict, model: str, design: str, model_file: str | None) -> ReferenceSettings:
    ref = {**config["reference"], **config["reference"]["by_model"].get(model, {})}
    return ReferenceSettings(
        model=model,
        design=design,
        model_file=model_file,
        observe=_names(observe_for(config, model)),
        parameters=_names(parameters_for(config, model)),
        n_obs=config["n_obs"],
        seed=config["seed"],
        delta=config["delta"],
        rtol=ref["rtol"],
        check_rtol=ref["check_rtol"],
        max_steps=ref["max_steps"],
        t1=(config.get("t1") or {}).get(model),
    )


def sweep_settings(config: dict, cell: Cell, model_file: str | None) -> SweepSettings:
    return SweepSettings(
        model=cell.model,
        design=cell.design,
        solver=cell.solver,
        method=cell.method,
        model_file=model_file,
        parameters=_names(parameters_for(config, cell.model)),
        rtols=tuple(rtols_for(config, cell.model)),
        max_steps=config["max_steps_by_model"].get(cell.model, config["max_steps"]),
        repeats=config["repeats"],
        repeat_below=config["repeat_below"],
        time_limit=config["cell_time_limit"],
    )


def atlas_settings(config: dict, models: dict) -> AtlasSettings:
    """The atlas's solver axis holds the solvers that some model of the grid runs with:
    a solver that ``solvers_by_model`` gives to none of the models is not a column.
    ``models``: slug -> the model (from the registry), for its category and failure class."""
    solvers = used_solvers(config)
    return AtlasSettings(
        models=tuple(config["models"]),
        designs=tuple(config["designs"]),
        solvers=tuple(solvers),
        methods=tuple(config["methods"]),
        rtols=tuple(float(r) for r in config["rtols"]),
        model_rtols=tuple(tuple(rtols_for(config, m)) for m in config["models"]),
        solvers_by_model=dict(config.get("solvers_by_model") or {}),
        exclude=tuple(config.get("exclude") or ()),
        categories=tuple(models[m].category for m in config["models"]),
        failure_classes=tuple(models[m].failure_class for m in config["models"]),
        thresholds=thresholds(config),
    )


def origin_settings(config: dict, model: str) -> OriginSettings:
    o, ref = config["origin_case"], config["reference"]
    return OriginSettings(
        model=model,
        rtol=o["rtol"],
        n_obs=o["n_obs"],
        max_steps=o["max_steps"],
        reference_rtol=ref["rtol"],
        reference_check_rtol=ref["check_rtol"],
        reference_max_steps=ref["max_steps"],
    )


def chaos_settings(config: dict) -> ChaosSettings:
    o, ref = config["origin_case"], config["reference"]
    return ChaosSettings(
        horizons=tuple(float(h) for h in o["horizons"]),
        rtols=tuple(float(r) for r in o["chaos_rtols"]),
        methods=tuple(config["methods"]),
        seed=config["seed"],
        delta=config["delta"],
        reference_rtol=ref["rtol"],
        reference_check_rtol=ref["check_rtol"],
        thresholds=thresholds(config),
    )


# ---- outside the pipeline (scripts, notebooks, tests): the schema's defaults, overridden by name ----
def schema_defaults(**keys) -> dict:
    """A validated config with every schema default filled in, for a one-cell grid unless ``keys``
    say otherwise (the schema stays the only source of defaults)."""
    from .config import with_defaults

    grid = {"models": ["linear_decay"], "solvers": ["tsit5"], "designs": ["data_fit"],
            "methods": ["forward_jvp"], "rtols": [1e-3]}  # fmt: skip
    return with_defaults({**grid, **keys})


def for_reference(
    model: str, design: str, observe="all", config: dict | None = None, **fields
) -> ReferenceSettings:
    """ReferenceSettings from ``config`` (default: :func:`schema_defaults`), ``fields`` replaced."""
    s = reference_settings(config or schema_defaults(), model, design, None)
    return dataclasses.replace(s, observe=_names(observe), **fields)


def for_cell(model: str, solver: str, design: str, method: str, rtols, config: dict | None = None,
             **fields) -> SweepSettings:  # fmt: skip
    """SweepSettings from ``config`` (default: :func:`schema_defaults`), ``fields`` replaced."""
    s = sweep_settings(config or schema_defaults(), Cell(model, design, solver, method), None)
    return dataclasses.replace(s, rtols=tuple(float(r) for r in rtols), **fields)
