"""gradatlas: where gradients through ODE solvers can be trusted.

Float64 is switched on at import: every computation in the atlas is double precision.
Scripts and rules use only the names re-exported here.
"""

import jax

jax.config.update("jax_enable_x64", True)

from ._registry import Registry, UnknownSlugError  # noqa: E402
from .atlas import atlas_table, build_atlas  # noqa: E402
from .designs import DESIGNS, AbstractDesign  # noqa: E402
from .grid import ConfigError, check_config, jobs  # noqa: E402
from .methods import METHODS, AbstractMethod, HostMethod, MethodOutput, register_method  # noqa: E402
from .models import MODELS, AbstractModel, Parameter, State, load_model_file, register_model  # noqa: E402
from .ops import JAX_OPS  # noqa: E402
from .problem import Observation, Problem  # noqa: E402
from .reference import Reference, compute_reference  # noqa: E402
from .scoring import score  # noqa: E402
from .solvers import SOLVERS  # noqa: E402
from .status import Regime, Status, UnsupportedCombination  # noqa: E402
from .sweep import CellResult, run_cell  # noqa: E402

__version__ = "0.1.0"

__all__ = [
    "DESIGNS",
    "JAX_OPS",
    "METHODS",
    "MODELS",
    "SOLVERS",
    "AbstractDesign",
    "AbstractMethod",
    "AbstractModel",
    "CellResult",
    "HostMethod",
    "ConfigError",
    "MethodOutput",
    "Observation",
    "Parameter",
    "Problem",
    "Reference",
    "Regime",
    "Registry",
    "State",
    "Status",
    "UnknownSlugError",
    "UnsupportedCombination",
    "atlas_table",
    "build_atlas",
    "check_config",
    "compute_reference",
    "jobs",
    "load_model_file",
    "register_method",
    "register_model",
    "run_cell",
    "score",
]
