"""Computations that do not use gradatlas's solver: the independent side of the SBML and PEtab checks.

``roadrunner_trajectory`` solves an SBML file with libroadrunner at given times.

``petab_nll_by_roadrunner`` simulates each condition of a PEtab problem with libroadrunner
(its own SBML interpreter and CVODE), evaluates the observable and noise formulas with sympy,
and sums PEtab's own per-measurement likelihood (``petab.v1.calculate_single_llh``, which holds
the normalisation terms). ``petab.v1.calculate_llh`` would evaluate the noise formulas itself,
but it cannot when they depend on model states (Raia_CancerResearch2011's do).
"""

from pathlib import Path
from typing import NamedTuple

import numpy as np
import pandas as pd
import yaml

#: below this, values are the simulators' rounding (libroadrunner at atol 1e-21 puts 1e-27 noise
#: on Bachmann_MSB2011's EpoRJAK2_CIS, which is identically zero)
ABSOLUTE = 1e-18
#: our rtol (atol = rtol x 1e-3): 1e-12, except where that costs more rejected steps than accepted
#: ones (rounding): Weber_BMC2015 took 242 237 accepted and 346 142 rejected steps at 1e-12
OUR_RTOL = {"Weber_BMC2015": 1e-11}


class Agreement(NamedTuple):
    model: str
    ours_vs_roadrunner: float  # max relative difference against libroadrunner at rtol 1e-15
    ours_vs_roadrunner_loose: float  # ... against libroadrunner at rtol 1e-13
    roadrunner_own_change: float  # libroadrunner at 1e-13 against itself at 1e-15
    worst: str  # where the first is largest


def roadrunner_trajectory(path: str | Path, ts, names: list[str], rtol: float) -> np.ndarray:
    """libroadrunner's values of ``names`` (species as concentrations, others as they are) at ``ts``
    (t0 = 0), with CVODE at ``rtol`` and atol = rtol x 1e-8."""
    import roadrunner

    rr = roadrunner.RoadRunner(str(path))
    rr.integrator.relative_tolerance = rtol
    rr.integrator.absolute_tolerance = rtol * 1e-8
    rr.integrator.maximum_num_steps = 1_000_000
    species = set(rr.model.getFloatingSpeciesIds())
    selections = ["time"] + [f"[{s}]" if s in species else s for s in names]
    return np.asarray(rr.simulate(times=[0.0, *ts], selections=selections))[1:, 1:]


def trajectory_agreement(path: Path, floor_fraction: float) -> Agreement:
    """Our JAX solve of an SBML file (Kvaerno5, rtol 1e-12) against libroadrunner's at 20 times up to
    the problem's last measurement. Relative differences of a state are taken against
    max(|y|, floor_fraction x the state's peak, ABSOLUTE)."""
    import diffrax
    import jax
    import jax.numpy as jnp

    from gradatlas.designs import DESIGNS
    from gradatlas.problem import Problem
    from gradatlas.sbml import sbml_model_class

    path = Path(path)
    measurements = pd.concat(pd.read_csv(f, sep="\t") for f in path.parent.glob("measurementData*.tsv"))
    t1 = float(measurements["time"].max())
    model = sbml_model_class()(path, t1=t1)
    ts = np.linspace(t1 / 20, t1, 20)
    problem = Problem(model, DESIGNS["data_fit"], "kvaerno5", max_steps=200_000, force_clip=True)
    rtol = OUR_RTOL.get(path.parent.name, 1e-12)

    @jax.jit
    def solve(p):
        sol = problem.solve(p, rtol, diffrax.SaveAt(ts=jnp.asarray(ts)), clip_ts=jnp.asarray(ts))
        return sol.ys, sol.result._value

    ours, result = solve(jnp.asarray(model.p0))
    assert int(result) == 0, f"{path}: our solve failed"
    ours = np.asarray(ours)
    loose, tight = (roadrunner_trajectory(path, ts, model.data.states, r) for r in (1e-13, 1e-15))
    floor = np.maximum(floor_fraction * np.abs(tight).max(axis=0), ABSOLUTE)

    def rel(a, b):
        return np.abs(a - b) / np.maximum(np.abs(b), floor)

    diff = rel(ours, tight)
    worst = np.unravel_index(diff.argmax(), diff.shape)
    return Agreement(path.parent.name, float(diff.max()), float(rel(ours, loose).max()),
                     float(rel(loose, tight).max()), f"{model.data.states[worst[1]]} at t = {ts[worst[0]]:g}")  # fmt: skip


def _value(value, nominal: dict) -> float:
    """A PEtab table entry: a number, or a parameter id (its nominal value, linear scale)."""
    try:
        return float(value)
    except (TypeError, ValueError):
        return float(nominal[str(value).strip()])


def _overrides(entry) -> list[str]:
    if entry is None or (isinstance(entry, float) and np.isnan(entry)):
        return []
    return [v.strip() for v in str(entry).split(";")]


def _entry(row, column: str, default: str) -> str:
    value = row.get(column, default)
    return default if isinstance(value, float) and np.isnan(value) else str(value)


def petab_nll_by_roadrunner(problem_yaml: str | Path, rtol: float = 1e-12) -> float:
    """The negative log-likelihood of a PEtab problem at its nominal parameters."""
    import libsbml
    import petab.v1 as petab
    import roadrunner
    from petab.v1.math import sympify_petab

    problem_yaml = Path(problem_yaml)
    problem = petab.Problem.from_yaml(str(problem_yaml))
    spec = yaml.safe_load(problem_yaml.read_text())
    sbml = str(problem_yaml.parent / spec["problems"][0]["sbml_files"][0])
    mdf, pdf, cdf, odf = (
        problem.measurement_df,
        problem.parameter_df,
        problem.condition_df,
        problem.observable_df,
    )
    nominal = pdf["nominalValue"].astype(float).to_dict()

    doc = libsbml.readSBMLFromFile(sbml)
    species = {s.getId(): s.getHasOnlySubstanceUnits() for s in doc.getModel().getListOfSpecies()}

    llh = 0.0
    for condition, rows in mdf.groupby("simulationConditionId"):
        rr = roadrunner.RoadRunner(sbml)
        rr.integrator.relative_tolerance = rtol
        rr.integrator.absolute_tolerance = rtol * 1e-6
        rr.integrator.maximum_num_steps = 1_000_000
        model_ids = set(rr.model.getGlobalParameterIds()) | set(rr.model.getCompartmentIds())
        for pid, v in nominal.items():
            if pid in model_ids:
                rr[pid] = v
        later = {}
        for column in cdf.columns:
            if column == "conditionName" or column not in model_ids | set(species):
                continue
            v = _value(cdf.loc[condition, column], nominal)
            if column in species:
                later[column] = v
            else:
                rr[column] = v
        rr.reset()  # re-evaluates the initial assignments with the parameters set above
        for sid, v in later.items():
            rr[sid if species[sid] else f"[{sid}]"] = v
        times = np.array(sorted(set(rows["time"].astype(float)) | {0.0}))

        observables = rows["observableId"].unique()
        formulas = {(o, kind): sympify_petab(odf.loc[o, f"{kind}Formula"])
                    for o in observables for kind in ("observable", "noise")}  # fmt: skip
        names = sorted({str(s) for f in formulas.values() for s in f.free_symbols})
        model_names = [n for n in names if n in species or n in model_ids or n in rr.model.getReactionIds()
                       or n in rr.getAssignmentRuleIds()]  # fmt: skip
        selections = ["time"] + [f"[{n}]" if n in species and not species[n] else n for n in model_names]
        result = np.asarray(rr.simulate(times=list(times), selections=selections))
        at_time = {t: dict(zip(model_names, result[i, 1:], strict=True)) for i, t in enumerate(times)}

        for _, row in rows.iterrows():
            o = row["observableId"]
            values = {**nominal, **at_time[float(row["time"])]}
            for kind in ("observable", "noise"):
                for k, entry in enumerate(_overrides(row.get(f"{kind}Parameters"))):
                    values[f"{kind}Parameter{k + 1}_{o}"] = _value(entry, nominal)
            values[o] = simulation = float(formulas[o, "observable"].subs(
                {s: values[str(s)] for s in formulas[o, "observable"].free_symbols}))  # fmt: skip
            sigma = float(
                formulas[o, "noise"].subs({s: values[str(s)] for s in formulas[o, "noise"].free_symbols})
            )
            scale, noise = (_entry(odf.loc[o], column, default) for column, default in
                            (("observableTransformation", "lin"), ("noiseDistribution", "normal")))  # fmt: skip
            llh += petab.calculate_single_llh(float(row["measurement"]), simulation, scale, noise, sigma)
    return -float(llh)
