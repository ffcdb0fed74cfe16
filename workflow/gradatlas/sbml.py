"""SBML models as gradatlas models: parsed with python-libsbml, held in sympy, evaluated by both backends.

An SBML file becomes Python code (:class:`SbmlCode`) whose functions use only the
elementwise namespace ``np`` (``gradatlas.ops``), so JAX and CasADi (CVODES) evaluate
the same definition, and every method, reference and cross-check runs on it unchanged.

Supported (what the Benchmark-Models-PEtab problems here use, and the common core of
SBML): compartments of constant size; species in concentrations or amounts
(``hasOnlySubstanceUnits``), with initial amounts or concentrations, boundary and
constant species; reactions with kinetic laws and constant stoichiometries; global and
local parameters; assignment rules, rate rules (on species and parameters) and initial
assignments; function definitions; ``piecewise``, relational and logical operators,
exp/ln/log/root/abs/min/max and the trigonometric functions.

Refused before any job starts, naming the file and the construct: events, algebraic
rules, ``delay``, fast reactions, ``stoichiometryMath``, rate rules on compartments,
compartments of non-constant size, and any other MathML construct not listed above.

The semantics are SBML's: for a species in concentration units, a kinetic law gives an
amount per time and d[S]/dt = sum(stoichiometry x rate) / volume; a species with
``hasOnlySubstanceUnits`` is an amount and dS/dt = sum(stoichiometry x rate).
"""

from __future__ import annotations

import keyword
from dataclasses import dataclass, field
from pathlib import Path

import sympy as sp

from .config import ConfigError

TIME = sp.Symbol("time")


class UnsupportedSbml(ConfigError):
    """An SBML construct gradatlas does not handle; the message names the file and the construct."""


# ---- MathML (libsbml AST) -> sympy ----
def ast_to_sympy(node, functions: dict, where: str) -> sp.Expr:
    import libsbml as L

    t = node.getType()
    kids = [ast_to_sympy(node.getChild(i), functions, where) for i in range(node.getNumChildren())]
    if t == L.AST_PLUS:
        return sp.Add(*kids) if kids else sp.Integer(0)
    if t == L.AST_MINUS:
        return -kids[0] if len(kids) == 1 else kids[0] - kids[1]
    if t == L.AST_TIMES:
        return sp.Mul(*kids) if kids else sp.Integer(1)
    if t == L.AST_DIVIDE:
        return kids[0] / kids[1]
    if t in (L.AST_POWER, L.AST_FUNCTION_POWER):
        return kids[0] ** kids[1]
    if t == L.AST_INTEGER:
        return sp.Integer(node.getInteger())
    if t in (L.AST_REAL, L.AST_REAL_E):
        return sp.Float(node.getReal())
    if t == L.AST_RATIONAL:
        return sp.Rational(node.getNumerator(), node.getDenominator())
    if t == L.AST_NAME:
        return sp.Symbol(node.getName())
    if t == L.AST_NAME_TIME:
        return TIME
    if t == L.AST_NAME_AVOGADRO:
        return sp.Float(6.02214076e23)
    if t == L.AST_CONSTANT_E:
        return sp.E
    if t == L.AST_CONSTANT_PI:
        return sp.pi
    if t == L.AST_CONSTANT_TRUE:
        return sp.true
    if t == L.AST_CONSTANT_FALSE:
        return sp.false
    simple = {
        L.AST_FUNCTION_EXP: sp.exp, L.AST_FUNCTION_LN: sp.log, L.AST_FUNCTION_ABS: sp.Abs,
        L.AST_FUNCTION_SIN: sp.sin, L.AST_FUNCTION_COS: sp.cos, L.AST_FUNCTION_TAN: sp.tan,
        L.AST_FUNCTION_TANH: sp.tanh, L.AST_FUNCTION_SINH: sp.sinh, L.AST_FUNCTION_COSH: sp.cosh,
    }  # fmt: skip
    if t in simple:
        return simple[t](*kids)
    if t == L.AST_FUNCTION_LOG:  # log(base, x); one child: base 10
        return sp.log(kids[-1], kids[0] if len(kids) == 2 else 10)
    if t == L.AST_FUNCTION_ROOT:  # root(degree, x); one child: square root
        return kids[-1] ** (1 / kids[0] if len(kids) == 2 else sp.Rational(1, 2))
    if t == getattr(L, "AST_FUNCTION_MIN", None):
        return sp.Min(*kids)
    if t == getattr(L, "AST_FUNCTION_MAX", None):
        return sp.Max(*kids)
    if t == L.AST_FUNCTION_PIECEWISE:
        pieces = [(kids[i], kids[i + 1]) for i in range(0, len(kids) - 1, 2)]
        otherwise = kids[-1] if len(kids) % 2 else sp.nan
        return sp.Piecewise(*pieces, (otherwise, True))
    relations = {L.AST_RELATIONAL_LT: sp.Lt, L.AST_RELATIONAL_LEQ: sp.Le, L.AST_RELATIONAL_GT: sp.Gt,
                 L.AST_RELATIONAL_GEQ: sp.Ge, L.AST_RELATIONAL_EQ: sp.Eq, L.AST_RELATIONAL_NEQ: sp.Ne}  # fmt: skip
    if t in relations:
        return relations[t](*kids)
    if t == L.AST_LOGICAL_AND:
        return sp.And(*kids)
    if t == L.AST_LOGICAL_OR:
        return sp.Or(*kids)
    if t == L.AST_LOGICAL_NOT:
        return sp.Not(kids[0])
    if t == L.AST_LOGICAL_XOR:
        return sp.Xor(*kids)
    if t == L.AST_FUNCTION:
        name = node.getName()
        if name not in functions:
            raise UnsupportedSbml(f"{where}: unknown function {name!r}")
        return functions[name](*kids)
    if t == L.AST_FUNCTION_DELAY:
        raise UnsupportedSbml(f"{where}: delay() is not supported (a delay differential equation)")
    raise UnsupportedSbml(
        f"{where}: the MathML construct {node.getName() or node.getType()!r} is not supported"
    )


# ---- sympy -> Python code in the elementwise namespace ``np`` ----
class Emitter:
    """Prints sympy expressions as Python source that uses only ``np.*`` and arithmetic."""

    FUNCS = {sp.exp: "exp", sp.log: "log", sp.Abs: "abs", sp.sin: "sin", sp.cos: "cos", sp.tan: "tan",
             sp.tanh: "tanh", sp.sinh: "sinh", sp.cosh: "cosh"}  # fmt: skip

    def __init__(self, names: dict[sp.Symbol, str]):
        self.names = names

    def __call__(self, e) -> str:
        if isinstance(e, sp.Symbol):
            if e not in self.names:
                raise KeyError(f"undefined symbol {e}")
            return self.names[e]
        if e is sp.true:
            return "(1.0 > 0.0)"
        if e is sp.false:
            return "(1.0 < 0.0)"
        if e.is_Number or e in (sp.pi, sp.E) or isinstance(e, sp.NumberSymbol):
            return repr(float(e))
        if isinstance(e, sp.Add):
            return "(" + " + ".join(self(a) for a in e.args) + ")"
        if isinstance(e, sp.Mul):
            return "(" + " * ".join(self(a) for a in e.args) + ")"
        if isinstance(e, sp.Pow):
            base, exp = e.args
            if exp == -1:
                return f"(1.0 / {self(base)})"
            if exp == sp.Rational(1, 2):
                return f"np.sqrt({self(base)})"
            if exp.is_Integer and 2 <= int(exp) <= 4:
                b = self(base)
                return "(" + " * ".join([b] * int(exp)) + ")"
            return f"({self(base)} ** {self(exp)})"
        for f, name in self.FUNCS.items():
            if isinstance(e, f):
                return f"np.{name}({self(e.args[0])})"
        if isinstance(e, sp.log):  # log(x, base) arrives as log(x) / log(base)
            return f"np.log({self(e.args[0])})"
        if isinstance(e, (sp.Min, sp.Max)):
            op = "minimum" if isinstance(e, sp.Min) else "maximum"
            out = self(e.args[0])
            for a in e.args[1:]:
                out = f"np.{op}({out}, {self(a)})"
            return out
        if isinstance(e, sp.Piecewise):
            out = None
            for value, cond in reversed(e.args):
                out = (
                    self(value)
                    if cond is sp.true or out is None
                    else f"np.where({self(cond)}, {self(value)}, {out})"
                )
            return out
        if isinstance(e, sp.core.relational.Relational):
            return f"({self(e.lhs)} {e.rel_op} {self(e.rhs)})"
        if isinstance(e, sp.And):
            return self._fold("logical_and", e.args)
        if isinstance(e, sp.Or):
            return self._fold("logical_or", e.args)
        if isinstance(e, sp.Not):
            return f"np.logical_not({self(e.args[0])})"
        raise UnsupportedSbml(f"cannot evaluate {type(e).__name__} ({e}) in both backends")

    def _fold(self, op, args) -> str:
        out = self(args[0])
        for a in args[1:]:
            out = f"np.{op}({out}, {self(a)})"
        return out


def identifier(sid: str) -> str:
    """A Python identifier for an SBML id (ids are SIds; a prefix keeps keywords and builtins apart)."""
    name = "v_" + sid
    assert name.isidentifier() and not keyword.iskeyword(name), sid
    return name


# ---- the parsed model ----
@dataclass
class SbmlModelData:
    """An SBML model in sympy form. Every expression is in terms of the states, the inputs and time."""

    path: str
    model_id: str
    states: list[str]  # species and rate-rule targets, in order
    state_names: list[str]
    inputs: dict[str, float]  # constant parameters and compartment sizes, and each state's initial value
    free: list[str]  # the inputs a plain SBML model differentiates (its constant global parameters)
    assignments: list[tuple[str, sp.Expr]]  # assignment rules, in dependency order
    rates: list[sp.Expr]  # d state / dt, per state
    initial: list[sp.Expr]  # initial state, in terms of the inputs
    units: dict[str, str] = field(default_factory=dict)

    def all_symbols(self) -> set[str]:
        return set(self.states) | set(self.inputs) | {a for a, _ in self.assignments}


INIT = "__init_"  # prefix of the inputs that hold each state's initial value


def read_sbml(path: str | Path) -> SbmlModelData:
    """Parse an SBML file; refuse what is not supported, naming the file and the construct."""
    import libsbml as L

    path = Path(path)
    doc = L.readSBMLFromFile(str(path))
    errors = [doc.getError(i) for i in range(doc.getNumErrors())]
    fatal = [e for e in errors if e.getSeverity() >= L.LIBSBML_SEV_ERROR]
    if fatal:
        raise ConfigError(f"{path}: not a valid SBML file: {fatal[0].getMessage().strip()}")
    m = doc.getModel()
    if m is None:
        raise ConfigError(f"{path}: the SBML file holds no model")
    where = str(path)

    def refuse(what):
        raise UnsupportedSbml(f"{where}: {what} is not supported")

    if m.getNumEvents():
        refuse(f"events ({m.getNumEvents()}: {', '.join(e.getId() or '?' for e in m.getListOfEvents())})")
    for r in m.getListOfRules():
        if r.isAlgebraic():
            refuse("an algebraic rule")
    for r in m.getListOfReactions():
        if r.isSetFast() and r.getFast():
            refuse(f"the fast reaction {r.getId()!r}")
        for ref in list(r.getListOfReactants()) + list(r.getListOfProducts()):
            if ref.isSetStoichiometryMath():
                refuse(f"stoichiometryMath in reaction {r.getId()!r}")
    functions = {}
    for fd in m.getListOfFunctionDefinitions():
        math = fd.getMath()
        args = [sp.Symbol(math.getChild(i).getName()) for i in range(math.getNumChildren() - 1)]
        body = ast_to_sympy(
            math.getChild(math.getNumChildren() - 1), functions, f"{where}: function {fd.getId()}"
        )
        functions[fd.getId()] = sp.Lambda(tuple(args), body)

    def expr(math, what):
        return ast_to_sympy(math, functions, f"{where}: {what}")

    rate_rules = {r.getVariable(): expr(r.getMath(), f"rate rule for {r.getVariable()}")
                  for r in m.getListOfRules() if r.isRate()}  # fmt: skip
    assigned = {r.getVariable(): expr(r.getMath(), f"assignment rule for {r.getVariable()}")
                for r in m.getListOfRules() if r.isAssignment()}  # fmt: skip
    initial_assignments = {ia.getSymbol(): expr(ia.getMath(), f"initial assignment for {ia.getSymbol()}")
                           for ia in m.getListOfInitialAssignments()}  # fmt: skip

    compartments = {}
    for c in m.getListOfCompartments():
        if not c.getConstant() or c.getId() in rate_rules or c.getId() in assigned:
            refuse(f"the compartment {c.getId()!r} of non-constant size")
        compartments[c.getId()] = c.getSize() if c.isSetSize() else 1.0

    inputs: dict[str, float] = {}
    free: list[str] = []
    for p in m.getListOfParameters():
        pid = p.getId()
        if pid in assigned or pid in rate_rules:
            continue
        inputs[pid] = p.getValue() if p.isSetValue() else 0.0
        if p.getConstant() and pid not in initial_assignments:
            free.append(pid)
    inputs.update(compartments)

    states, names, rates = [], [], []
    species = {s.getId(): s for s in m.getListOfSpecies()}
    amount_only = {sid for sid, s in species.items() if s.getHasOnlySubstanceUnits()}
    flux = {sid: sp.Integer(0) for sid in species}
    for r in m.getListOfReactions():
        if not r.isSetKineticLaw():
            refuse(f"the reaction {r.getId()!r} without a kinetic law")
        law = r.getKineticLaw()
        local = {sp.Symbol(q.getId()): sp.Float(q.getValue())
                 for q in list(law.getListOfParameters()) + list(law.getListOfLocalParameters())}  # fmt: skip
        rate = expr(law.getMath(), f"kinetic law of {r.getId()}").xreplace(local)
        for ref, sign in [(x, -1) for x in r.getListOfReactants()] + [(x, 1) for x in r.getListOfProducts()]:
            if ref.isSetId() and ref.getId() and ref.getId() in (assigned | rate_rules | initial_assignments):
                refuse(f"a variable stoichiometry in reaction {r.getId()!r}")
            flux[ref.getSpecies()] += sign * sp.Float(ref.getStoichiometry()) * rate
    for sid, s in species.items():
        if sid in assigned:
            continue
        volume = compartments[s.getCompartment()]
        if s.isSetInitialConcentration():
            value = s.getInitialConcentration() * (volume if sid in amount_only else 1.0)
        elif s.isSetInitialAmount():
            value = s.getInitialAmount() / (1.0 if sid in amount_only else volume)
        else:
            value = 0.0
        if s.getConstant() or (s.getBoundaryCondition() and sid not in rate_rules):
            inputs[sid] = value  # constant, or changed only by rules: an input
            continue
        states.append(sid)
        names.append(s.getName() or sid)
        if sid in rate_rules:
            rates.append(rate_rules[sid])
        elif sid in amount_only:
            rates.append(flux[sid])
        else:
            rates.append(flux[sid] / sp.Symbol(s.getCompartment()))
        inputs[INIT + sid] = value
    for pid, rule in rate_rules.items():
        if pid in species:
            continue
        if pid not in inputs:
            refuse(f"the rate rule on {pid!r}")
        states.append(pid)
        names.append(pid)
        rates.append(rule)
        inputs[INIT + pid] = inputs.pop(pid)
        free = [f for f in free if f != pid]

    order = _dependency_order(assigned, where)
    data = SbmlModelData(
        path=str(path), model_id=m.getId() or path.stem, states=states, state_names=names, inputs=inputs,
        free=free, assignments=[(a, assigned[a]) for a in order], rates=rates, initial=[],
    )  # fmt: skip
    data.initial = _initial_values(data, initial_assignments, where)
    return data


def _dependency_order(assigned: dict, where: str) -> list[str]:
    order, done, busy = [], set(), set()

    def visit(a):
        if a in done:
            return
        if a in busy:
            raise UnsupportedSbml(f"{where}: the assignment rules are circular (at {a!r})")
        busy.add(a)
        for s in assigned[a].free_symbols:
            if s.name in assigned:
                visit(s.name)
        busy.discard(a)
        done.add(a)
        order.append(a)

    for a in assigned:
        visit(a)
    return order


def _initial_values(data: SbmlModelData, initial_assignments: dict, where: str) -> list[sp.Expr]:
    """Each state's initial value in terms of the inputs: its initial assignment (SBML values of
    everything it refers to, initial assignments and assignment rules resolved), else its input."""
    values: dict[sp.Symbol, sp.Expr] = {
        sp.Symbol(k): sp.Symbol(k) for k in data.inputs if not k.startswith(INIT)
    }
    for sid in data.states:
        values[sp.Symbol(sid)] = sp.Symbol(INIT + sid)
    pending = dict(initial_assignments)
    rules = dict(data.assignments)
    for _ in range(len(pending) + len(rules) + 1):
        for target, e in list(pending.items()) + list(rules.items()):
            if all(s in values or s == TIME for s in e.free_symbols):
                values[sp.Symbol(target)] = e.xreplace(values).xreplace({TIME: sp.Integer(0)})
                pending.pop(target, None)
                rules.pop(target, None)
    if pending:
        raise UnsupportedSbml(f"{where}: cannot resolve the initial assignments of {sorted(pending)}")
    return [values[sp.Symbol(s)] for s in data.states]


class SbmlCode:
    """The model's functions, generated as Python source in the ``np`` namespace and compiled once.

    ``rhs(t, y, k, np)`` and ``initial(k, np)``, where ``k`` holds the inputs in the order of
    ``data.inputs``; ``assigned(t, y, k, np)`` returns the assignment-rule values (for observables).
    """

    def __init__(self, data: SbmlModelData):
        self.data = data
        self.input_names = list(data.inputs)
        names = {sp.Symbol(s): identifier(s) for s in data.all_symbols()}
        names[TIME] = "t"
        emit = Emitter(names)
        head = ["    " + f"{identifier(k)} = k[{i}]" for i, k in enumerate(self.input_names)]
        states = ["    " + f"{identifier(s)} = y[{i}]" for i, s in enumerate(data.states)]
        rules = ["    " + f"{identifier(a)} = {emit(e)}" for a, e in data.assignments]
        lines = ["def rhs(t, y, k, np):", *head, *states, *rules]
        lines.append("    return np.stack([" + ", ".join(emit(r) for r in data.rates) + "])")
        lines += ["", "def initial(k, np):", *head]
        lines.append("    return np.stack([" + ", ".join(emit(v) for v in data.initial) + "])")
        self.source = "\n".join(lines) + "\n"
        self._compile()

    def _compile(self) -> None:
        namespace: dict = {}
        exec(compile(self.source, f"<sbml {self.data.path}>", "exec"), namespace)
        self.rhs, self.initial = namespace["rhs"], namespace["initial"]

    # pickled (gradatlas.petab_problem's cache) as data and source; the functions are rebuilt
    def __getstate__(self) -> dict:
        return {k: v for k, v in self.__dict__.items() if k not in ("rhs", "initial")}

    def __setstate__(self, state: dict) -> None:
        self.__dict__.update(state)
        self._compile()

    def inputs(self, values: dict | None = None) -> list:
        """The input list with the SBML defaults, some replaced by ``values``."""
        values = values or {}
        return [values.get(k, v) for k, v in self.data.inputs.items()]


def slug_of(path: str | Path) -> str:
    """A registry slug from a file name: lower case, non-alphanumerics as underscores."""
    stem = Path(path).stem.lower()
    slug = "".join(c if c.isalnum() else "_" for c in stem).strip("_")
    return slug if slug[:1].isalpha() else "m_" + slug


# ---- an SBML file as a gradatlas model ----
#: atol = rtol x ATOL_SCALE for SBML and PEtab models. Not smaller: at the reference's rtol 1e-12,
#: an atol of 1e-16 made Boehm's stiff reference solve fail from rounding (82 448 accepted and
#: 117 552 rejected steps, then max_steps), while 1e-15 agreed with libroadrunner to 6e-12
ATOL_SCALE = 1e-3
#: the time span of a plain SBML model unless the config's ``t1`` gives one (SBML has none)
DEFAULT_T1 = 10.0


def sbml_model_class():
    """The class of plain SBML models (built lazily: it needs the model base, which imports jax)."""
    from .models._base import AbstractModel, Parameter, State

    class SbmlModel(AbstractModel):
        """An SBML model read by python-libsbml (see :mod:`gradatlas.sbml`)."""

        category = "systems_biology"
        atol_scale = ATOL_SCALE

        def __init__(self, path: str | Path, t1: float = DEFAULT_T1):
            self.path = str(path)
            self.data = read_sbml(path)
            self.code = SbmlCode(self.data)
            self.slug = slug_of(path)
            self.t1 = float(t1)
            self.parameters = tuple(Parameter(k, float(self.data.inputs[k])) for k in self.data.free)
            defaults = self.code.inputs()
            from .ops import JAX_OPS

            y0 = [float(v) for v in self.code.initial(defaults, JAX_OPS)]
            self.states = tuple(State(s, v) for s, v in zip(self.data.states, y0, strict=True))
            self._free = [self.code.input_names.index(k) for k in self.data.free]
            self.__doc__ = (
                f"The SBML model {self.data.model_id!r} from {self.path} ({len(self.states)} states)."
            )

        def _inputs(self, p) -> list:
            k = self.code.inputs()
            for j, i in enumerate(self._free):
                k[i] = p[j]
            return k

        def rhs(self, t, y, p, np):
            return self.code.rhs(t, y, self._inputs(p), np)

        def initial(self, p, np):
            return self.code.initial(self._inputs(p), np)

    return SbmlModel
