"""gradatlas: where gradients through ODE solvers can be trusted.

Every computation is double precision: importing gradatlas switches JAX's float64
mode on (through ``JAX_ENABLE_X64``, which JAX reads when it is imported, or through
``jax.config`` when JAX is already imported). The public names below load on first
use, so ``import gradatlas`` (and ``gradatlas --help``) does not import JAX.
Scripts and rules use only the names re-exported here.
"""

import importlib as _importlib
import os as _os
import sys as _sys

if "jax" in _sys.modules:
    _sys.modules["jax"].config.update("jax_enable_x64", True)
else:
    _os.environ["JAX_ENABLE_X64"] = "1"

__version__ = "0.1.0"

#: public name -> the submodule that defines it
_EXPORTS = {
    "Registry": "_registry",
    "UnknownSlugError": "_registry",
    "atlas_table": "atlas",
    "build_atlas": "atlas",
    "ConfigError": "config",
    "load_yaml": "config",
    "validate": "config",
    "with_defaults": "config",
    "DESIGNS": "designs",
    "AbstractDesign": "designs",
    "check_config": "grid",
    "jobs": "grid",
    "METHODS": "methods",
    "AbstractMethod": "methods",
    "HostMethod": "methods",
    "MethodOutput": "methods",
    "register_method": "methods",
    "MODELS": "models",
    "AbstractModel": "models",
    "Parameter": "models",
    "State": "models",
    "load_model_file": "models",
    "register_model": "models",
    "JAX_OPS": "ops",
    "Observation": "problem",
    "Problem": "problem",
    "Reference": "reference",
    "compute_reference": "reference",
    "score": "scoring",
    "score_cell": "scoring",
    "AtlasSettings": "settings",
    "ReferenceSettings": "settings",
    "SweepSettings": "settings",
    "Thresholds": "settings",
    "SOLVERS": "solvers",
    "Regime": "status",
    "Status": "status",
    "UnsupportedCombination": "status",
    "CellResult": "sweep",
    "run_cell": "sweep",
}

__all__ = sorted(_EXPORTS)


def __getattr__(name):
    if name in _EXPORTS:
        value = getattr(_importlib.import_module(f".{_EXPORTS[name]}", __name__), name)
        globals()[name] = value
        return value
    raise AttributeError(f"module 'gradatlas' has no attribute {name!r}")


def __dir__():
    return sorted(set(globals()) | set(_EXPORTS))
