"""The experiment grid: config -> jobs (model, design, solver, method) and exclusions.

Checks every slug against the registries (after importing the user's
``model_files``), so a bad config stops before any job runs with a message that
names the key and lists the valid values.
"""

from __future__ import annotations

from dataclasses import dataclass

from .designs import DESIGNS
from .methods import METHODS
from .models import MODELS, load_model_file
from .solvers import SOLVERS


class ConfigError(ValueError):
    pass


@dataclass(frozen=True)
class Cell:
    model: str
    design: str
    solver: str
    method: str


def coerce_cli_values(config: dict) -> dict:
    """``snakemake --config rtols=[1e-3,1e-6]`` passes list items as strings; make
    the numeric keys numbers again (anything unparsable is left for the schema to reject)."""

    def num(x):
        if isinstance(x, str):
            try:
                return float(x)
            except ValueError:
                return x
        return x

    if isinstance(config.get("rtols"), list):
        config["rtols"] = [num(x) for x in config["rtols"]]
    return config


def _check(key: str, values, registry) -> None:
    for v in values:
        if v not in registry:
            raise ConfigError(
                f"config key {key!r}: unknown {registry.kind} {v!r}; valid values are: "
                + ", ".join(sorted(registry))
            )


def check_config(config: dict) -> None:
    for path in config.get("model_files", []) or []:
        load_model_file(path)
    _check("models", config["models"], MODELS)
    _check("solvers", config["solvers"], SOLVERS)
    _check("designs", config["designs"], DESIGNS)
    _check("methods", config["methods"], METHODS)
    for model, solvers in (config.get("solvers_by_model") or {}).items():
        _check("solvers_by_model", [model], MODELS)
        _check(f"solvers_by_model.{model}", solvers, SOLVERS)
    for i, ex in enumerate(config.get("exclude") or []):
        for key, reg in (("model", MODELS), ("solver", SOLVERS), ("design", DESIGNS), ("method", METHODS)):
            if key in ex:
                _check(f"exclude[{i}].{key}", [ex[key]], reg)
    bad = [t for t in config["rtols"] if not (isinstance(t, (int, float)) and t > 0)]
    if bad:
        raise ConfigError(f"config key 'rtols': tolerances must be positive numbers, got {bad}")
    for model, states in (config.get("observe") or {}).items():
        _check("observe", [model], MODELS)
        try:
            MODELS[model].state_indices(states)
        except ValueError as e:
            raise ConfigError(f"config key 'observe.{model}': {e}") from None


def solvers_for(config: dict, model: str) -> list[str]:
    return list((config.get("solvers_by_model") or {}).get(model, config["solvers"]))


def observe_for(config: dict, model: str):
    return (config.get("observe") or {}).get(model, "all")


def exclusion_reason(config: dict, cell: Cell) -> str | None:
    if cell.solver not in solvers_for(config, cell.model):
        return f"solver {cell.solver} is not in solvers_by_model.{cell.model}"
    for ex in config.get("exclude") or []:
        if all(getattr(cell, k) == ex[k] for k in ("model", "design", "solver", "method") if k in ex):
            return ex.get("reason", "excluded by config")
    return None


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
