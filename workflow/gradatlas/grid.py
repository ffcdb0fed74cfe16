"""The experiment grid: config -> jobs (model, design, solver, method) and exclusions.

:func:`check_config` checks every slug against the registries (after loading the
user's ``model_files``) and the relations between keys, so a bad config stops
before any job runs with a message that names the key and lists the valid values.
The other functions are pure functions of the (validated) config.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from .config import ConfigError


@dataclass(frozen=True)
class Cell:
    model: str
    design: str
    solver: str
    method: str


def solvers_for(config: dict, model: str) -> list[str]:
    return list((config.get("solvers_by_model") or {}).get(model, config["solvers"]))


def rtols_for(config: dict, model: str) -> list[float]:
    """The tolerances ``model`` runs at: those of ``rtols`` that ``rtols_by_model`` lists for it (all
    of them when it lists nothing), so a smaller ``rtols`` (a subset run) narrows every model."""
    own = (config.get("rtols_by_model") or {}).get(model)
    return [float(r) for r in config["rtols"] if own is None or any(_same(r, o) for o in own)]


def _same(a: float, b: float) -> bool:
    return abs(float(a) - float(b)) <= 1e-9 * abs(float(b))


def used_solvers(config: dict) -> list[str]:
    """The configured solvers that at least one model of the grid runs with, in config order."""
    used = {s for m in config["models"] for s in solvers_for(config, m)}
    return [s for s in config["solvers"] if s in used]


def observe_for(config: dict, model: str):
    return (config.get("observe") or {}).get(model, "all")


def parameters_for(config: dict, model: str):
    return (config.get("parameters") or {}).get(model, "all")


def exclusion_reason(config: dict, cell: Cell) -> str | None:
    if cell.solver not in solvers_for(config, cell.model):
        return f"solver {cell.solver} is not in solvers_by_model.{cell.model}"
    for ex in config.get("exclude") or []:
        if all(
            getattr(cell, k) in _listed(ex[k]) for k in ("model", "design", "solver", "method") if k in ex
        ):
            return ex["reason"]
    return None


def _listed(value) -> list:
    return [value] if isinstance(value, str) else list(value)


def all_cells(config: dict) -> list[Cell]:
    """Every cell of the configured grid, excluded ones included (the atlas shows them)."""
    return [
        Cell(m, d, s, meth)
        for m in config["models"]
        for d in config["designs"]
        for s in config["solvers"]
        for meth in config["methods"]
    ]


def jobs(config: dict) -> list[Cell]:
    return [c for c in all_cells(config) if exclusion_reason(config, c) is None]


def _check(key: str, values, registry) -> None:
    for v in values:
        if v not in registry:
            raise ConfigError(
                f"config key {key!r}: unknown {registry.kind} {v!r}; valid values are: "
                + ", ".join(sorted(registry))
            )


@dataclass
class Checked:
    """What :func:`check_config` found: the user files that define models, and warnings."""

    model_files: dict[str, str] = field(default_factory=dict)  # model slug -> file (as configured)
    warnings: list[str] = field(default_factory=list)


def load_model_files(config: dict) -> Checked:
    """Load every file under ``model_files`` and check each model it defines (both backends).

    Paths are relative to the working directory (where Snakemake runs, as for any
    Snakemake input file), or absolute.
    """
    from .models import MODELS, load_model_file
    from .models.preflight import check_model

    out = Checked()
    for i, path in enumerate(config.get("model_files") or []):
        if not Path(path).is_file():
            raise ConfigError(
                f"config key 'model_files[{i}]': no such file {path!r} (relative paths are "
                f"resolved against the working directory {str(Path.cwd())!r})"
            )
        try:
            slugs = load_model_file(path)
        except ConfigError:
            raise
        except Exception as e:
            raise ConfigError(
                f"config key 'model_files[{i}]': {path!r} failed to load: {type(e).__name__}: {e}"
            ) from e
        if not slugs:
            raise ConfigError(
                f"config key 'model_files[{i}]': {path!r} registers no model (call register_model)"
            )
        for slug in slugs:
            out.model_files[slug] = path
            if slug in config["models"]:
                out.warnings += check_model(MODELS[slug], path)
    return out


def check_config(config: dict) -> Checked:
    """Check a schema-validated config against the registries and itself.

    Loads and checks the user's model files first; returns what it found.
    """
    from .designs import DESIGNS
    from .methods import METHODS
    from .models import MODELS
    from .solvers import SOLVERS

    checked = load_model_files(config)
    _check("models", config["models"], MODELS)
    _check("solvers", config["solvers"], SOLVERS)
    _check("designs", config["designs"], DESIGNS)
    _check("methods", config["methods"], METHODS)
    for model, solvers in (config.get("solvers_by_model") or {}).items():
        _check("solvers_by_model", [model], MODELS)
        _check(f"solvers_by_model.{model}", solvers, SOLVERS)
        missing = [s for s in solvers if s not in config["solvers"]]
        if missing:
            raise ConfigError(
                f"config key 'solvers_by_model.{model}': solver(s) {missing} are not in 'solvers' "
                f"({', '.join(config['solvers'])}); add them there or drop them here"
            )
    for model, rtols in (config.get("rtols_by_model") or {}).items():
        _check("rtols_by_model", [model], MODELS)
        if model in config["models"] and not rtols_for(config, model):
            raise ConfigError(
                f"config key 'rtols_by_model.{model}': none of its tolerances {rtols} is in 'rtols' "
                f"({config['rtols']}), so the model would run at none"
            )
    _check("max_steps_by_model", list(config["max_steps_by_model"]), MODELS)
    for i, ex in enumerate(config.get("exclude") or []):
        for key, reg in (("model", MODELS), ("solver", SOLVERS), ("design", DESIGNS), ("method", METHODS)):
            if key in ex:
                _check(f"exclude[{i}].{key}", _listed(ex[key]), reg)
    t = config["thresholds"]
    if t["accurate"] > t["degraded"]:
        raise ConfigError(
            f"config key 'thresholds': accurate ({t['accurate']}) must not exceed degraded ({t['degraded']})"
        )
    for model, states in (config.get("observe") or {}).items():
        _check("observe", [model], MODELS)
        try:
            MODELS[model].state_indices(states)
        except ValueError as e:
            raise ConfigError(f"config key 'observe.{model}': {e}") from None
    for model, names in (config.get("parameters") or {}).items():
        _check("parameters", [model], MODELS)
        try:
            MODELS[model].restricted(names)
        except ValueError as e:
            raise ConfigError(f"config key 'parameters.{model}': {e}") from None
    _check("origin_case.models", config["origin_case"]["models"], MODELS)
    _check("t1", list(config.get("t1") or {}), MODELS)
    _check("reference.by_model", list(config["reference"]["by_model"]), MODELS)
    for model, ref in {"": config["reference"], **config["reference"]["by_model"]}.items():
        rtol = ref.get("rtol", config["reference"]["rtol"])
        check_rtol = ref.get("check_rtol", config["reference"]["check_rtol"])
        if not check_rtol > rtol:
            key = f"reference.by_model.{model}" if model else "reference"
            raise ConfigError(
                f"config key '{key}': check_rtol ({check_rtol:g}) must be looser than rtol ({rtol:g})"
            )
    cells = jobs(config)
    if not cells:
        raise ConfigError("the config excludes every cell of its grid: nothing to compute")
    for cell in cells:
        try:
            DESIGNS[cell.design].check(MODELS[cell.model])
        except ValueError as e:
            raise ConfigError(
                f"config keys 'designs' and 'models': {e} (exclude the pair, or drop one)"
            ) from None
    return checked
