"""The vendored SBML models and PEtab problems against independent tools: the figures of the README's
"Real models" section and of the PEtab issue's closing note.

    python3 benchmarks/petab_checks.py [--atlas results] [--references DIR]

For each vendored problem (resources/petab/): the largest relative difference between our
trajectories and libroadrunner's (tests/test_sbml.py asserts it), and for the supported PEtab
problems the objective at the nominal parameters, ours against libroadrunner + PEtab's own
likelihood (tests/test_petab.py asserts it). With ``--atlas DIR`` (a finished run's results
folder), it adds each PEtab reference's CVODES cross-check from ``DIR/reference_check.csv``.
With ``--references DIR`` it computes them itself instead, as the paper grid does (Kvaerno5 at
rtol 1e-10, checked at 1e-8; a step budget of 50 000 rather than the grid's 500 000, so that a
reference that cannot be computed fails in seconds), and writes the reference files to
``DIR/<model>/<design>.nc`` (what benchmarks/amici_peer.py reads).
"""

import argparse
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))

from independent import petab_nll_by_roadrunner, trajectory_agreement  # noqa: E402


def objective(problem_yaml: Path) -> float:
    """Our objective at the nominal parameters (Kvaerno5, rtol 1e-10, onto the measurement times)."""
    import diffrax
    import jax
    import jax.numpy as jnp

    import gradatlas as ga
    from gradatlas.designs import DESIGNS
    from gradatlas.problem import Problem

    (slug,) = ga.load_model_file(problem_yaml)
    model = ga.MODELS[slug]
    problem = Problem(model, DESIGNS["petab_fit"], "kvaerno5", max_steps=200_000, force_clip=True)
    ts = jnp.asarray(model.measurement_times)
    sol = jax.jit(lambda p: problem.solve(p, 1e-10, diffrax.SaveAt(ts=ts), clip_ts=ts))(jnp.asarray(model.p0))
    return float(problem.loss(sol.ys, None, jnp.asarray(model.p0)))


def references(problems, out: Path) -> pd.DataFrame:
    import gradatlas as ga
    from gradatlas import io, settings
    from gradatlas.reference import compute_reference, cvodes_cross_check

    rows = []
    for name in problems:
        (slug,) = ga.load_model_file(ROOT / "resources" / "petab" / name / f"{name}.yaml")
        for design in ("petab_fit", "petab_start"):
            t = time.perf_counter()
            s = settings.for_reference(slug, design, rtol=1e-10, check_rtol=1e-8, max_steps=50_000)
            ref = compute_reference(s)
            check = cvodes_cross_check(ref, s) if ref.status == "ok" else {}
            (out / slug).mkdir(parents=True, exist_ok=True)
            io.write(io.reference_to_dataset(ref), out / slug / f"{design}.nc")
            rows.append({"model": slug, "design": design, "status": ref.status, "grad_norm": float(np.linalg.norm(ref.grad)),
                         "scale": ref.scale, "reference_error": ref.error, "cvodes_rtol": check.get("cvodes_rtol"),
                         "cvodes_error": check.get("cvodes_error"), "disagreement": check.get("cvodes_disagreement"),
                         "seconds": round(time.perf_counter() - t, 1), "message": ref.message[:80]})  # fmt: skip
            print(rows[-1], flush=True)
    return pd.DataFrame(rows)


def main():
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--atlas", type=Path, help="a results folder with reference_check.csv")
    parser.add_argument(
        "--references", type=Path, help="compute the PEtab references and checks, write them here"
    )
    args = parser.parse_args()
    from gradatlas.petab_problem import UnsupportedPetab

    rows = []
    for folder in sorted(p for p in (ROOT / "resources" / "petab").iterdir() if p.is_dir()):
        t = time.perf_counter()
        a = trajectory_agreement(next(folder.glob("model_*.xml")), 1e-8)
        row = {"problem": folder.name, "trajectory_vs_roadrunner": a.ours_vs_roadrunner,
               "roadrunner_own_change": a.roadrunner_own_change, "worst": a.worst}  # fmt: skip
        yaml_file = folder / f"{folder.name}.yaml"
        try:
            ours = objective(yaml_file)
        except UnsupportedPetab as e:
            row["objective"] = str(e).split(": ", 1)[1]
        else:
            theirs = petab_nll_by_roadrunner(yaml_file)
            row.update(objective=f"{ours:.10g}", independent=f"{theirs:.10g}",
                       objective_rel_diff=abs(ours - theirs) / abs(theirs))  # fmt: skip
        row["seconds"] = round(time.perf_counter() - t, 1)
        rows.append(row)
        print(row, flush=True)
    table = pd.DataFrame(rows)
    pd.set_option("display.width", 250)
    pd.set_option("display.max_colwidth", 60)
    print(table.to_string(index=False))
    if args.references:
        print(
            references(table["problem"][table["objective_rel_diff"].notna()], args.references).to_string(
                index=False
            )
        )
    if args.atlas:
        check = pd.read_csv(args.atlas / "reference_check.csv")
        slugs = {f.lower(): f for f in table["problem"]}
        check = check[check["model"].isin(slugs)]
        print(check[["model", "design", "reference_rtol", "reference_error", "cvodes_rtol", "cvodes_error",
                     "disagreement", "flag"]].to_string(index=False))  # fmt: skip


if __name__ == "__main__":
    main()
