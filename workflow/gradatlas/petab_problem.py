"""PEtab problems as gradatlas models: the SBML model of every simulation condition and the PEtab objective.

A PEtab problem (Schmiester et al. 2021, PLoS Comput Biol 17:e1008646) becomes one
:class:`~gradatlas.models.AbstractModel` whose

* **parameters** are the estimated parameters (``estimate = 1``) on their PEtab scale
  (lin, log, log10), at their nominal values (for the Benchmark-Models-PEtab problems:
  the published best fit);
* **state** is the SBML model's state once per simulation condition, side by side: one
  ODE, solved once, so every method, reference and CVODES check works on it unchanged;
  each condition has its own parameter values (condition-specific overrides of
  parameters, compartment sizes and initial values; fixed parameters at their nominal
  values);
* **objective** is the PEtab negative log-likelihood, summed over every measurement of
  every condition, with its normalisation terms exactly as PEtab defines them
  (``petab.v1.calculate.calculate_single_llh``): normal noise on the lin, log or log10
  scale of the observable (normal, log-normal and log10-normal), observable and noise
  formulas with their placeholder parameters.

The problem is read and validated with the ``petab`` library (:func:`load_petab_code`
keeps what that produced in a cache keyed by the problem's files and the package's source,
so that every job and every Snakemake start does not import ``petab``, lint the problem and
generate its code anew: 4 s per process on Perelson_Science1996). Preequilibration,
priors, steady-state (infinite-time) measurements and noise distributions other than
normal stop the run with an "unsupported" error naming the file; so do the SBML
constructs :mod:`gradatlas.sbml` refuses (events among them).
"""

from __future__ import annotations

import hashlib
import math
import pickle
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import sympy as sp

from .config import ConfigError
from .sbml import ATOL_SCALE, INIT, TIME, Emitter, SbmlCode, read_sbml


class UnsupportedPetab(ConfigError):
    """A PEtab feature gradatlas does not handle yet."""


SCALES = ("lin", "log", "log10")


def unscale(expr: str, scale: str) -> str:
    """Source of a parameter's linear value from its value on ``scale``."""
    return {"lin": expr, "log": f"np.exp({expr})", "log10": f"(10.0 ** {expr})"}[scale]


def _is_number(value) -> bool:
    try:
        float(value)
        return True
    except (TypeError, ValueError):
        return False


@dataclass
class PetabData:
    path: str
    estimated: list[str]  # parameter ids, in order
    scales: list[str]
    nominal: np.ndarray  # on scale
    lower: np.ndarray  # on scale
    upper: np.ndarray
    conditions: list[str]
    times: np.ndarray  # sorted unique measurement times
    n_measurements: int


class PetabCode:
    """The problem's functions as generated source: per-condition inputs and the objective."""

    def __init__(self, path: str | Path):
        import petab.v1 as petab

        path = Path(path)
        self.path = str(path)
        try:
            problem = petab.Problem.from_yaml(str(path))
        except Exception as e:
            raise ConfigError(f"{path}: not a readable PEtab problem ({type(e).__name__}: {e})") from None
        if petab.lint_problem(problem):
            raise ConfigError(
                f"{path}: the PEtab problem does not validate (petab.lint_problem; messages above)"
            )
        mdf, pdf, cdf, odf = (
            problem.measurement_df,
            problem.parameter_df,
            problem.condition_df,
            problem.observable_df,
        )
        where = str(path)
        if "preequilibrationConditionId" in mdf and mdf["preequilibrationConditionId"].notna().any():
            first = mdf["preequilibrationConditionId"].dropna().iloc[0]
            raise UnsupportedPetab(f"{where}: preequilibration (condition {first!r}) is not supported yet")
        for col in ("objectivePriorType", "initializationPriorType", "priorType"):
            if col in pdf and pdf[col].notna().any() and col != "initializationPriorType":
                raise UnsupportedPetab(f"{where}: priors ({col}) are not supported yet")
        times = mdf["time"].astype(float)
        if not np.all(np.isfinite(times)):
            raise UnsupportedPetab(
                f"{where}: steady-state (infinite-time) measurements are not supported yet"
            )
        if "noiseDistribution" in odf:
            bad = set(odf["noiseDistribution"].fillna("normal")) - {"normal"}
            if bad:
                raise UnsupportedPetab(
                    f"{where}: noise distribution(s) {sorted(bad)} are not supported (normal only)"
                )
        if "observableTransformation" in odf:
            transforms = odf["observableTransformation"].fillna("lin").to_dict()
        else:
            transforms = dict.fromkeys(odf.index, "lin")

        sbml_file = self._sbml_path(path)
        self.sbml = read_sbml(sbml_file)
        self.model_code = SbmlCode(self.sbml)
        estimated = list(problem.x_free_ids)
        scales = [pdf.loc[p, "parameterScale"] for p in estimated]
        for p, sc in zip(estimated, scales, strict=True):
            if sc not in SCALES:
                raise UnsupportedPetab(
                    f"{where}: parameter {p!r} has scale {sc!r}; supported: {', '.join(SCALES)}"
                )

        def scaled(values, scales):
            def one(v, sc):
                if sc == "lin":
                    return v
                return -math.inf if v <= 0 else (math.log(v) if sc == "log" else math.log10(v))

            return np.array([one(v, sc) for v, sc in zip(values, scales, strict=True)])

        self.data = PetabData(
            path=str(path),
            estimated=estimated,
            scales=scales,
            nominal=scaled([float(pdf.loc[p, "nominalValue"]) for p in estimated], scales),
            lower=scaled([float(pdf.loc[p, "lowerBound"]) for p in estimated], scales),
            upper=scaled([float(pdf.loc[p, "upperBound"]) for p in estimated], scales),
            conditions=list(dict.fromkeys(mdf["simulationConditionId"])),
            times=np.array(sorted(set(times))),
            n_measurements=len(mdf),
        )
        self._estimated = {p: j for j, p in enumerate(estimated)}
        self._fixed = {p: float(pdf.loc[p, "nominalValue"]) for p in pdf.index if p not in self._estimated}
        # per condition: each SBML input as a value or an estimated parameter's index
        self.condition_inputs = [self._condition_inputs(cdf, c, where) for c in self.data.conditions]
        self.source = self._objective_source(mdf, odf, transforms, where)
        self._compile()

    def _compile(self) -> None:
        namespace: dict = {}
        exec(compile(self.source, f"<petab objective {self.path}>", "exec"), namespace)
        self.objective = namespace["objective"]

    def __getstate__(self) -> dict:
        return {k: v for k, v in self.__dict__.items() if k != "objective"}

    def __setstate__(self, state: dict) -> None:
        self.__dict__.update(state)
        self._compile()

    @staticmethod
    def _sbml_path(path: Path) -> Path:
        import yaml

        spec = yaml.safe_load(path.read_text())
        files = spec["problems"][0]["sbml_files"]
        if len(files) != 1:
            raise UnsupportedPetab(f"{path}: {len(files)} SBML files in one problem are not supported")
        return path.parent / files[0]

    def _resolve(self, value, where: str):
        """A table entry: a number, or a parameter id (estimated -> ("theta", j), fixed -> its value)."""
        if _is_number(value):
            return ("value", float(value))
        if value in self._estimated:
            return ("theta", self._estimated[value])
        if value in self._fixed:
            return ("value", self._fixed[value])
        raise ConfigError(f"{where}: {value!r} is neither a number nor a parameter of the parameter table")

    def _condition_inputs(self, cdf, condition: str, where: str) -> list:
        row = cdf.loc[condition] if condition in cdf.index else None
        out = []
        for name, default in self.sbml.inputs.items():
            target = name[len(INIT) :] if name.startswith(INIT) else name
            entry = row[target] if row is not None and target in row.index and not _nan(row[target]) else None
            if entry is not None:
                out.append(self._resolve(entry, f"{where}: condition {condition!r}, column {target!r}"))
            elif name in self._estimated:
                out.append(("theta", self._estimated[name]))
            elif name in self._fixed:
                out.append(("value", self._fixed[name]))
            else:
                out.append(("value", float(default)))
        return out

    def inputs(self, c: int, linear) -> list:
        """The SBML inputs of condition ``c``; ``linear`` holds the estimated parameters' linear values."""
        return [linear[v] if kind == "theta" else v for kind, v in self.condition_inputs[c]]

    # ---- the objective as generated source ----
    def _objective_source(self, mdf, odf, transforms, where: str) -> str:
        from petab.v1.math import sympify_petab

        sbml = self.sbml
        n = len(sbml.states)
        rules = dict(sbml.assignments)
        symbols: dict[sp.Symbol, str] = {}
        lines = ["def objective(at, theta, np):"]
        lines += [f"    u_{j} = {unscale(f'theta[{j}]', s)}" for j, s in enumerate(self.data.scales)]
        for c, spec in enumerate(self.condition_inputs):
            for i, (kind, v) in enumerate(spec):
                lines.append(f"    k_{c}_{i} = {f'u_{v}' if kind == 'theta' else repr(v)}")
        lines.append("    total = 0.0")
        time_index = {t: k for k, t in enumerate(self.data.times)}

        def parse(text):  # petab's symbols carry assumptions (real=True): back to plain ones, matched by name
            e = sympify_petab(text)
            return e.xreplace({s: sp.Symbol(s.name) for s in e.free_symbols})

        formulas = {}
        for obs_id, row in odf.iterrows():
            noise = row["noiseFormula"]
            formulas[obs_id] = (
                parse(row["observableFormula"]),
                parse(str(noise)) if not _nan(noise) else sp.Integer(1),
            )
        loaded = set()
        for r, m in enumerate(mdf.itertuples(index=False)):
            c = self.data.conditions.index(m.simulationConditionId)
            j = time_index[float(m.time)]
            if j not in loaded:
                lines.append(f"    y_{j} = at({j})")
                loaded.add(j)
            names = {sp.Symbol(s): f"y_{j}[{c * n + i}]" for i, s in enumerate(sbml.states)}
            names.update({sp.Symbol(k): f"k_{c}_{i}" for i, k in enumerate(sbml.inputs)})
            obs, noise = formulas[m.observableId]
            place = {}
            for kind, column in (("observable", "observableParameters"), ("noise", "noiseParameters")):
                raw = getattr(m, column, None)
                values = [] if _nan(raw) else str(raw).split(";")
                for k, value in enumerate(values):
                    place[sp.Symbol(f"{kind}Parameter{k + 1}_{m.observableId}")] = self._placeholder(
                        value, where
                    )
            sim, sigma = (self._expand(e, rules, place, float(m.time)) for e in (obs, noise))
            nll = _nll(float(m.measurement), sim, sigma, transforms[m.observableId])
            for s in nll.free_symbols:
                if s not in names and s not in symbols:
                    symbols[s] = self._parameter_name(s.name, where)
            emit = Emitter({**names, **symbols, TIME: repr(float(m.time))})
            lines.append(
                f"    total = total + {emit(nll)}  # measurement {r}: {m.observableId}, t = {m.time}"
            )
        lines.append("    return total")
        return "\n".join(lines) + "\n"

    def _placeholder(self, value, where: str):
        kind, v = self._resolve(value.strip(), f"{where}: placeholder value {value!r}")
        return sp.Float(v) if kind == "value" else sp.Symbol(f"__theta_{v}")

    def _parameter_name(self, name: str, where: str) -> str:
        if name.startswith("__theta_"):
            return f"u_{int(name[len('__theta_') :])}"
        if name in self._estimated:
            return f"u_{self._estimated[name]}"
        if name in self._fixed:
            return repr(self._fixed[name])
        raise ConfigError(f"{where}: the symbol {name!r} in an observable or noise formula is not defined")

    def _expand(self, e, rules, place, t):
        """An observable or noise formula with placeholders, assignment rules and time replaced."""
        e = e.xreplace(place)
        for _ in range(len(rules) + 1):
            hits = {s: rules[s.name] for s in e.free_symbols if s.name in rules}
            if not hits:
                break
            e = e.xreplace(hits)
        return e.xreplace({TIME: sp.Float(t)})


def problem_files(path: str | Path) -> list[Path]:
    """The problem's YAML file and every file it names (SBML, tables)."""
    import yaml

    path = Path(path)
    spec = yaml.safe_load(path.read_text())
    names = [spec.get("parameter_file")]
    for problem in spec.get("problems", []):
        for key in ("sbml_files", "condition_files", "measurement_files", "observable_files",
                    "visualization_files"):  # fmt: skip
            names += problem.get(key) or []
    names = [n for group in names for n in ([group] if isinstance(group, str) else group or [])]
    return [path, *(path.parent / n for n in names)]


def _cache_key(path: Path) -> str | None:
    from importlib.metadata import PackageNotFoundError, version

    from .provenance import source_hash

    h = hashlib.sha256(source_hash().encode())
    try:
        h.update(version("petab").encode())
    except PackageNotFoundError:
        return None
    try:
        for f in problem_files(path):
            h.update(f.name.encode())
            h.update(f.read_bytes())
    except (OSError, ValueError, TypeError, AttributeError):  # unreadable: the loader says why
        return None
    return h.hexdigest()


def load_petab_code(path: str | Path) -> PetabCode:
    """:class:`PetabCode` for a problem, from the cache when the same files were read by the
    same code before (``petab`` version included), else read, validated and stored.

    The cache lives beside the JAX compilation cache (``$GRADATLAS_JAX_CACHE``, default
    ``.cache/jax``, in ``petab/``); an empty ``GRADATLAS_JAX_CACHE`` turns it off. Only
    problems that passed every check are stored, so a bad problem is refused every time.
    """
    from .runtime import cache_dir, write_atomically

    path = Path(path)
    root = cache_dir()
    key = _cache_key(path) if root else None
    where = Path(root, "petab", f"{key}.pkl") if key else None
    if where is not None and where.is_file():
        try:
            with open(where, "rb") as f:
                code = pickle.load(f)
            code.path = code.data.path = str(path)
            return code
        except Exception:  # a damaged entry is rebuilt below
            pass
    code = PetabCode(path)
    if where is not None:
        write_atomically(where, pickle.dumps(code, protocol=pickle.HIGHEST_PROTOCOL))
    return code


def _nan(value) -> bool:
    return (
        value is None
        or (isinstance(value, float) and math.isnan(value))
        or (isinstance(value, str) and not value)
    )


def _nll(measurement: float, sim, sigma, transformation: str):
    """PEtab's negative log-likelihood of one measurement under normal noise on ``transformation``
    (petab.v1.calculate.calculate_single_llh, negated)."""
    m, pi = sp.Float(measurement), sp.pi
    if transformation == "lin":
        return sp.Rational(1, 2) * sp.log(2 * pi * sigma**2) + sp.Rational(1, 2) * ((sim - m) / sigma) ** 2
    if transformation == "log":
        return (sp.Rational(1, 2) * sp.log(2 * pi * sigma**2 * m**2)
                + sp.Rational(1, 2) * ((sp.log(sim) - sp.log(m)) / sigma) ** 2)  # fmt: skip
    if transformation == "log10":
        ln10 = sp.log(10)
        return (sp.Rational(1, 2) * sp.log(2 * pi * sigma**2 * m**2 * ln10**2)
                + sp.Rational(1, 2) * ((sp.log(sim) / ln10 - sp.log(m) / ln10) / sigma) ** 2)  # fmt: skip
    raise UnsupportedPetab(f"observable transformation {transformation!r} is not supported (lin, log, log10)")


def petab_model_class():
    """The class of PEtab models (built lazily: it needs the model base, which imports jax)."""
    from .models._base import AbstractModel, Parameter, State

    class PetabModel(AbstractModel):
        """A PEtab problem (see :mod:`gradatlas.petab_problem`)."""

        category = "systems_biology"
        atol_scale = ATOL_SCALE
        default_designs = ("petab_fit", "petab_start")

        def __init__(self, path: str | Path):
            from .ops import JAX_OPS
            from .sbml import slug_of

            self.path = str(path)
            self.code = load_petab_code(path)
            d = self.code.data
            self.slug = slug_of(path)
            self.t0, self.t1 = 0.0, float(d.times[-1])
            self.measurement_times = d.times
            self.parameters = tuple(Parameter(p, float(v), sc) for p, v, sc in zip(d.estimated, d.nominal, d.scales,
                                                                                 strict=True))  # fmt: skip
            self.n_conditions = len(d.conditions)
            self.n_sbml = len(self.code.sbml.states)
            y0 = np.asarray(self.initial(self.p0, JAX_OPS))
            self.states = tuple(State(f"{s}[{c}]", float(v))
                                for (c, s), v in zip(((c, s) for c in d.conditions for s in self.code.sbml.states), y0,
                                                     strict=True))  # fmt: skip
            self.__doc__ = (f"The PEtab problem {Path(path).name} ({len(d.conditions)} condition(s), "
                            f"{d.n_measurements} measurements, {len(d.estimated)} estimated parameters) on the SBML "
                            f"model {self.code.sbml.model_id!r}: the model and its negative log-likelihood.")  # fmt: skip

        def _linear(self, p, np):
            return [p[j] if s == "lin" else (np.exp(p[j]) if s == "log" else 10.0 ** p[j])
                    for j, s in enumerate(self.code.data.scales)]  # fmt: skip

        def rhs(self, t, y, p, np):
            lin, n = self._linear(p, np), self.n_sbml
            parts = [self.code.model_code.rhs(t, y[c * n:(c + 1) * n], self.code.inputs(c, lin), np)
                     for c in range(self.n_conditions)]  # fmt: skip
            return parts[0] if len(parts) == 1 else np.concatenate(parts)

        def initial(self, p, np):
            lin = self._linear(p, np)
            parts = [
                self.code.model_code.initial(self.code.inputs(c, lin), np) for c in range(self.n_conditions)
            ]
            return parts[0] if len(parts) == 1 else np.concatenate(parts)

        def objective(self, at, p, np):
            """The PEtab negative log-likelihood; ``at(j)`` is the full state at measurement time j."""
            return self.code.objective(at, p, np)

        def start_point(self, delta: np.ndarray) -> np.ndarray:
            """The nominal point moved by ``delta`` on the parameter scale (added on log and log10
            scales, relative on the linear scale), kept within the bounds."""
            d = self.code.data
            lin = np.array([s == "lin" for s in d.scales])
            moved = np.where(lin, d.nominal * (1.0 + delta), d.nominal + delta)
            return np.clip(moved, d.lower, d.upper)

    return PetabModel
