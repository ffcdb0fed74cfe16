"""The model base class and registry.

A model owns its truth: equations (docstring, with a citation), named parameters
with units and defaults, the initial state, the time span, state names and
units, which states are fast or slow, and an absolute-tolerance scale.
"""

from __future__ import annotations

import abc
import hashlib
import importlib.util
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import ClassVar

import jax.numpy as jnp
import numpy as np

from .._registry import DuplicateSlugError, Registry
from ..ops import JAX_OPS


@dataclass(frozen=True)
class Parameter:
    name: str
    value: float
    units: str = "1"


@dataclass(frozen=True)
class State:
    name: str
    initial: float
    units: str = "1"
    fast: bool = False


class AbstractModel(abc.ABC):
    """An ODE model dy/dt = rhs(t, y, p).

    Subclasses set the class attributes below and implement :meth:`rhs` once,
    using only the elementwise namespace ``np`` (see :mod:`gradatlas.ops`).
    """

    slug: ClassVar[str]
    #: one of "nonstiff", "stiff", "spiking", "chaotic": orders rows in reports
    #: and picks the reference solver (stiff and spiking -> implicit).
    category: ClassVar[str]
    parameters: ClassVar[tuple[Parameter, ...]]
    states: ClassVar[tuple[State, ...]]
    t0: ClassVar[float] = 0.0
    t1: ClassVar[float]
    time_units: ClassVar[str] = "1"
    #: atol = rtol * atol_scale
    atol_scale: ClassVar[float] = 1.0
    #: the designs ``gradatlas check`` runs on this model unless told otherwise
    default_designs: ClassVar[tuple[str, ...]] = ("data_fit", "final_state", "time_average")
    #: the failure class a model was built to provoke (the atlas's ``failure_class`` coordinate):
    #: "none", "tangent_blind" (the error estimate cannot see the tangents), "discontinuity"
    #: (a jump in time), "atol_scale" (a state below the absolute tolerance)
    failure_class: ClassVar[str] = "none"
    #: times where the vector field jumps; the step-size controller steps to just before and
    #: just after each (diffrax ``ClipStepSizeController(jump_ts=...)``, Julia's ``tstops``)
    jump_times: ClassVar[tuple[float, ...]] = ()
    #: atol scale of the reference solve (None: ``atol_scale``); set it below a state's scale
    #: when ``atol_scale`` does not control that state (see ``tiny_state``)
    reference_atol_scale: ClassVar[float | None] = None
    #: a closed-form solution ``exact_solution(t, p) -> (T, n_states)``, for models that have one
    #: (tests check the references against it); None otherwise
    exact_solution: ClassVar = None
    #: a model with an objective of its own (a PEtab problem): ``objective(at, p, np)``, its value from
    #: ``at(j)``, the state at ``measurement_times[j]``; None otherwise (the designs' losses apply)
    objective: ClassVar = None
    measurement_times: ClassVar = None

    @abc.abstractmethod
    def rhs(self, t, y, p, np):
        """The vector field; ``y`` and ``p`` are indexable, returns ``np.stack([...])``."""

    def initial(self, p, np):
        """The initial state y(t0; p); by default the states' fixed initial values. A model whose
        initial state depends on its parameters overrides this (with ``np`` functions only)."""
        return np.stack([s.initial for s in self.states])

    # ---- derived conveniences (not overridden) ----
    @property
    def stiff(self) -> bool:
        return self.category in ("stiff", "spiking")

    @property
    def reference_solver(self) -> str:
        """Dopri8 unless the model is stiff or a systems-biology model (then Kvaerno5: such models
        are often stiff, e.g. Boehm's import rates of 1e5 next to rates of 1e-5)."""
        return "kvaerno5" if self.category in ("stiff", "systems_biology") else "dopri8"

    @property
    def n_states(self) -> int:
        return len(self.states)

    @property
    def n_params(self) -> int:
        return len(self.parameters)

    @property
    def param_names(self) -> list[str]:
        return [q.name for q in self.parameters]

    @property
    def state_names(self) -> list[str]:
        return [s.name for s in self.states]

    @property
    def p0(self) -> jnp.ndarray:
        return jnp.asarray([q.value for q in self.parameters], dtype=jnp.float64)

    @property
    def y0(self) -> jnp.ndarray:
        """The initial state at the default parameters."""
        return jnp.asarray(self.initial(self.p0, JAX_OPS), dtype=jnp.float64)

    def state_indices(self, names) -> np.ndarray:
        """Indices of the named states; ``"all"`` or ``None`` gives all of them."""
        if names is None or names == "all":
            return np.arange(self.n_states)
        if isinstance(names, str):
            names = [names]
        valid = self.state_names
        bad = [n for n in names if n not in valid]
        if bad:
            raise ValueError(
                f"model {self.slug!r} has no state(s) {bad}; valid states are: {', '.join(valid)}"
            )
        return np.asarray([valid.index(n) for n in names])

    def vector_field(self, t, y, p):
        """diffrax-style ``f(t, y, args)`` evaluated with JAX."""
        return self.rhs(t, y, p, JAX_OPS)

    def start_point(self, delta):
        """A start point moved from the nominal one by ``delta`` on the parameter scale (PEtab problems)."""
        raise NotImplementedError(f"model {self.slug!r} has no start point: it is not a PEtab problem")

    def restricted(self, names) -> AbstractModel:
        """The same model with only the named parameters free (the others fixed at their
        defaults); ``"all"`` or None gives the model itself."""
        if names is None or names == "all":
            return self
        valid = self.param_names
        bad = [n for n in names if n not in valid]
        if bad:
            raise ValueError(
                f"model {self.slug!r} has no parameter(s) {bad}; valid parameters are: {', '.join(valid)}"
            )
        return _Restricted(self, [valid.index(n) for n in names])


class _Restricted(AbstractModel):
    """A model with a subset of its parameters free: what a gradient is taken with respect to."""

    def __init__(self, base: AbstractModel, free: list[int]):
        self.base = base
        self.free = list(free)
        self.slug = base.slug
        self.category = base.category
        self.parameters = tuple(base.parameters[i] for i in self.free)
        self.states = base.states
        self.t0, self.t1, self.time_units, self.atol_scale = (
            base.t0,
            base.t1,
            base.time_units,
            base.atol_scale,
        )
        self.__doc__ = base.__doc__

    def full(self, p) -> list:
        """The base model's parameter list, with the free ones from ``p``."""
        values = [q.value for q in self.base.parameters]
        for k, i in enumerate(self.free):
            values[i] = p[k]
        return values

    def rhs(self, t, y, p, np):
        return self.base.rhs(t, y, self.full(p), np)

    def initial(self, p, np):
        return self.base.initial(self.full(p), np)


MODELS: Registry[AbstractModel] = Registry("model")


def register_model(model: AbstractModel) -> AbstractModel:
    return MODELS.register(model.slug, model)


def load_model_file(path: str | Path) -> list[str]:
    """Register the model(s) a user's file defines; return their slugs.

    * a Python file that calls :func:`register_model`;
    * an SBML file (``.xml``, ``.sbml``): one model, slug from the file name (:mod:`gradatlas.sbml`);
    * a PEtab problem (``.yaml``, ``.yml``): one model with its objective, slug from the file
      name in lower case (:mod:`gradatlas.petab_problem`).

    This is how a model is added without editing the package: name the file in the
    config under ``model_files``. Each file gets a module name of its own (from its
    resolved path), so two files with the same name in different folders both load;
    loading the same file twice registers its models once.
    """
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"model file {str(path)!r} does not exist")
    resolved = path.resolve()
    if path.suffix.lower() in (".xml", ".sbml", ".yaml", ".yml"):
        return _load_declarative(path, resolved)
    name = (
        "gradatlas_user_"
        + hashlib.sha256(str(resolved).encode()).hexdigest()[:12]
        + "_"
        + _identifier(path.stem)
    )
    if name in sys.modules:
        return list(_LOADED[name])
    before = set(MODELS)
    spec = importlib.util.spec_from_file_location(name, resolved)
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    try:
        spec.loader.exec_module(module)
    except DuplicateSlugError as e:
        del sys.modules[name]
        other = MODEL_FILES.get(e.slug, "the built-in models")
        raise ValueError(
            f"model file {str(path)!r}: model slug {e.slug!r} is already defined by {other}"
        ) from None
    except BaseException:
        del sys.modules[name]
        raise
    slugs = [s for s in MODELS if s not in before]
    _LOADED[name] = slugs
    for slug in slugs:
        MODEL_FILES[slug] = str(resolved)
    return slugs


def _load_declarative(path: Path, resolved: Path) -> list[str]:
    """An SBML model or a PEtab problem, registered once per resolved path."""
    key = f"file:{resolved}"
    if key in _LOADED:
        return list(_LOADED[key])
    if path.suffix.lower() in (".xml", ".sbml"):
        from ..sbml import sbml_model_class

        model = sbml_model_class()(resolved)
    else:
        from ..petab_problem import petab_model_class

        model = petab_model_class()(resolved)
    try:
        register_model(model)
    except DuplicateSlugError as e:
        other = MODEL_FILES.get(e.slug, "the built-in models")
        raise ValueError(
            f"model file {str(path)!r}: model slug {e.slug!r} is already defined by {other}"
        ) from None
    _LOADED[key] = [model.slug]
    MODEL_FILES[model.slug] = str(resolved)
    return [model.slug]


def _identifier(text: str) -> str:
    return "".join(c if c.isalnum() else "_" for c in text)


#: module name -> the slugs its file registered
_LOADED: dict[str, list[str]] = {}
#: model slug -> the resolved path of the user file that defines it (built-in models are absent)
MODEL_FILES: dict[str, str] = {}
