"""gradatlas: where gradients through ODE solvers can be trusted.

Float64 is switched on at import: every computation in the atlas is double precision.
"""

import jax

jax.config.update("jax_enable_x64", True)

from ._registry import Registry, UnknownSlugError  # noqa: E402
from .models import MODELS, AbstractModel, Parameter, State, load_model_file, register_model  # noqa: E402
from .ops import JAX_OPS  # noqa: E402
from .status import Regime, Status, UnsupportedCombination  # noqa: E402

__version__ = "0.1.0"
