"""PEtab problems (gradatlas.petab_problem): loading, the objective, and the two PEtab designs.

The objective at the nominal parameters is checked against a computation that does not use
our solver: libroadrunner simulations fed to PEtab's own likelihood (tests/independent.py).
"""

import shutil
import subprocess
import sys

import diffrax
import jax
import jax.numpy as jnp
import numpy as np
import pandas as pd
import pytest

import gradatlas as ga
from gradatlas.designs import DESIGNS
from gradatlas.petab_problem import PetabCode, UnsupportedPetab, load_petab_code
from gradatlas.problem import Problem

from conftest import ROOT
from independent import petab_nll_by_roadrunner

PETAB = ROOT / "resources" / "petab"
SUPPORTED = [
    "Boehm_JProteomeRes2014",
    "Borghans_BiophysChem1997",
    "Crauste_CellSystems2017",
    "Fujita_SciSignal2010",
    "Perelson_Science1996",
    "Raia_CancerResearch2011",
]
UNSUPPORTED = {
    "Bachmann_MSB2011": "priors",
    "Brannmark_JBC2010": "preequilibration",
    "Weber_BMC2015": "preequilibration",
    "Zheng_PNAS2012": "preequilibration",
}


def problem_yaml(name):
    return PETAB / name / f"{name}.yaml"


def load(name):
    (slug,) = ga.load_model_file(problem_yaml(name))
    return ga.MODELS[slug]


def test_every_vendored_problem_is_tested():
    assert sorted(p.name for p in PETAB.iterdir() if p.is_dir()) == sorted([*SUPPORTED, *UNSUPPORTED])
    assert (PETAB / "LICENSE").read_text().startswith("BSD 3-Clause License")


@pytest.mark.parametrize("name", SUPPORTED)
def test_supported_problems_load(name):
    import petab.v1 as petab

    model = load(name)
    problem = petab.Problem.from_yaml(str(problem_yaml(name)))
    assert model.slug == name.lower()
    assert model.param_names == list(problem.x_free_ids)
    assert model.default_designs == ("petab_fit", "petab_start")
    # nominal parameters on their PEtab scale
    nominal = problem.parameter_df.loc[model.param_names]
    for par, (value, scale) in zip(
        model.parameters, nominal[["nominalValue", "parameterScale"]].values, strict=True
    ):
        want = {"lin": value, "log": np.log(value), "log10": np.log10(value)}[scale]
        assert par.value == pytest.approx(want, rel=1e-14)


@pytest.mark.parametrize("name", sorted(UNSUPPORTED))
def test_unsupported_problems_say_why(name):
    with pytest.raises(UnsupportedPetab) as err:
        ga.load_model_file(problem_yaml(name))
    message = str(err.value)
    assert UNSUPPORTED[name] in message and "not supported" in message and name in message


@pytest.mark.parametrize("name", SUPPORTED)
def test_objective_at_nominal_matches_roadrunner_and_petab(name):
    model = load(name)
    problem = Problem(model, DESIGNS["petab_fit"], "kvaerno5", max_steps=200_000, force_clip=True)
    ts = jnp.asarray(model.measurement_times)

    @jax.jit
    def objective(p):
        sol = problem.solve(p, 1e-10, diffrax.SaveAt(ts=ts), clip_ts=ts)
        return problem.loss(sol.ys, None, p), sol.result._value

    ours, result = objective(jnp.asarray(model.p0))
    assert int(result) == 0
    theirs = petab_nll_by_roadrunner(problem_yaml(name))
    assert float(ours) == pytest.approx(theirs, rel=1e-8, abs=1e-8)


def test_start_point_moves_on_the_parameter_scale_within_bounds():
    model = load("Boehm_JProteomeRes2014")
    design = DESIGNS["petab_start"]
    delta = np.full(model.n_params, 0.5)
    start = design.point(model, model.p0, delta)
    lower, upper = model.code.data.lower, model.code.data.upper
    assert np.all(start >= lower) and np.all(start <= upper)
    moved = np.clip(np.asarray(model.p0) + 0.5, lower, upper)  # Boehm: every parameter on log10 scale
    assert set(model.code.data.scales) == {"log10"}
    np.testing.assert_array_equal(start, moved)
    assert DESIGNS["petab_fit"].against_scale and not design.against_scale


def test_a_problem_is_read_once_then_from_the_cache(tmp_path, monkeypatch):
    """The second load of unchanged files comes from the cache (petab is not consulted), equal
    to the first; an edited file or a damaged entry gives a fresh read."""
    monkeypatch.setenv("GRADATLAS_JAX_CACHE", str(tmp_path / "cache"))
    shutil.copytree(PETAB / "Perelson_Science1996", tmp_path / "p")
    path = tmp_path / "p" / "Perelson_Science1996.yaml"
    first = load_petab_code(path)
    (entry,) = (tmp_path / "cache" / "petab").glob("*.pkl")

    def no_read(*args):
        raise AssertionError("read again")

    with monkeypatch.context() as m:
        m.setattr(PetabCode, "__init__", no_read)
        second = load_petab_code(path)
    assert second is not first
    for name in ("source", "condition_inputs", "_fixed", "_estimated"):
        assert getattr(second, name) == getattr(first, name), name
    assert second.model_code.source == first.model_code.source
    np.testing.assert_array_equal(second.data.nominal, first.data.nominal)
    at = lambda j: np.full(len(first.sbml.states), 1.0 + j)  # any states: both objectives agree
    assert second.objective(at, first.data.nominal, np) == first.objective(at, first.data.nominal, np)

    entry.write_bytes(b"damaged")
    assert load_petab_code(path).source == first.source
    table = next((tmp_path / "p").glob("measurementData*"))
    table.write_text(table.read_text() + "\n")  # an edit that petab reads the same
    load_petab_code(path)
    assert len(list((tmp_path / "cache" / "petab").glob("*.pkl"))) == 2


def test_petab_designs_need_a_petab_model():
    with pytest.raises(ValueError, match="PEtab"):
        DESIGNS["petab_fit"].check(ga.MODELS["lotka_volterra"])


def test_check_on_a_petab_problem(tmp_path):
    """The README's `gradatlas check problem.yaml`, on a vendored problem, reduced to two methods."""
    outdir = tmp_path / "check"
    cmd = [sys.executable, "-m", "gradatlas", "check", str(problem_yaml("Perelson_Science1996")),
           "--outdir", str(outdir), "--methods", "forward_jvp", "cvodes_forward", "--rtols", "1e-3", "1e-8",
           "--solvers", "kvaerno5", "--cores", "2"]  # fmt: skip
    proc = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True, timeout=900)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    verdict = pd.read_csv(outdir / "verdict.csv").set_index(["design", "method"])
    assert set(verdict.index) == {
        (d, m) for d in ("petab_fit", "petab_start") for m in ("forward_jvp", "cvodes_forward")
    }
    # Perelson's gradient is dominated by its noise parameter, which every method gets right
    assert set(verdict["verdict"]) == {"accurate"}
