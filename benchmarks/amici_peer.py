"""AMICI as a second peer on the PEtab problems: its gradient at both PEtab points next to our
reference, and its time per gradient next to ours.

    python3 benchmarks/amici_peer.py --references results/references [--models boehm_jproteomeres2014 ...]

AMICI (PyPI ``amici``) is not a gradatlas dependency: it compiles each model to C++ and
needs a C++ toolchain, SWIG and BLAS at install time (``pip install amici`` builds it from
source). This script runs in an environment that has it, next to our reference files
(``<model>/petab_{fit,start}.nc``: the reference gradient, the point and the gradient scale).

For each problem and point it prints AMICI's objective and gradient (forward sensitivities,
CVODES BDF, atol = rtol x 1e-4, at rtol 1e-10 and 1e-12, so that AMICI's own convergence
shows; gradients with respect to the parameters on their PEtab scale), the relative
difference of each from our reference (over the local gradient scale on petab_fit, over the
reference norm on petab_start, as the atlas scores), and at rtol 1e-8 the
median wall time of 5 AMICI gradient calls after 2 untimed warm-up calls next to ours
(forward_jvp and cvodes_forward through the pipeline's cell runner: 2 warm-up calls, median of
3). Neither includes compilation (AMICI's C++ build, our trace and XLA compile).
"""

import argparse
import statistics
import time
from pathlib import Path

import numpy as np
import xarray as xr

ROOT = Path(__file__).resolve().parents[1]
#: AMICI's tolerances for the cross-check (atol = rtol x 1e-4): two, so its own convergence shows
CHECK_RTOLS = (1e-10, 1e-12)
PROBLEMS = {p.name.lower(): p for p in (ROOT / "resources" / "petab").iterdir() if p.is_dir()}


def amici_model(name: str, build: Path):
    import amici.sim.sundials  # noqa: F401  (the generated model module expects it loaded)
    import petab.v1 as petab
    from amici.importers.petab.v1 import import_petab_problem

    problem = petab.Problem.from_yaml(str(PROBLEMS[name] / f"{PROBLEMS[name].name}.yaml"))
    t = time.perf_counter()
    model = import_petab_problem(problem, output_dir=build / name, model_name=name)
    return problem, model, time.perf_counter() - t


def gradient(problem, model, point: dict, rtol: float):
    from amici.sim.sundials import SensitivityMethod, SensitivityOrder
    from amici.sim.sundials.petab.v1 import LLH, SLLH, simulate_petab

    solver = model.create_solver()
    solver.set_sensitivity_order(SensitivityOrder.first)
    solver.set_sensitivity_method(SensitivityMethod.forward)
    solver.set_relative_tolerance(rtol)
    solver.set_absolute_tolerance(rtol * 1e-4)
    solver.set_max_steps(1_000_000)

    def call():
        out = simulate_petab(problem, amici_model=model, solver=solver, problem_parameters=point,
                             scaled_parameters=True, scaled_gradients=True)  # fmt: skip
        return -out[LLH], {k: -v for k, v in out[SLLH].items()}

    return call


def our_times(name: str, design: str, rtol: float, ref_file: Path) -> dict:
    """Our steady-state time per gradient (the pipeline's cell runner: warm-up calls, then the
    median of 3) for two methods, at ``rtol``, with the schema's defaults otherwise."""
    import gradatlas as ga
    from gradatlas import settings

    ga.load_model_file(PROBLEMS[name] / f"{PROBLEMS[name].name}.yaml")
    ref = ga.compute_reference(
        settings.for_reference(name, design, rtol=1e-10, check_rtol=1e-8, max_steps=50_000)
    )
    out = {}
    for method in ("forward_jvp", "cvodes_forward"):
        s = settings.for_cell(name, "kvaerno5", design, method, [rtol], repeats=3, repeat_below=10.0)
        cell = ga.run_cell(s, ref)
        out[method] = cell.run_time[0] if cell.status[0] == "ok" else float("nan")
    return out


def main():
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--references", type=Path, required=True,
                        help="reference files: <dir>/<model>/<design>.nc (results/references, or "
                             "benchmarks/petab_checks.py --references DIR)")  # fmt: skip
    parser.add_argument("--models", nargs="+", default=sorted(p for p in PROBLEMS))
    parser.add_argument("--build", type=Path, default=Path("/tmp/gradatlas-amici"))
    parser.add_argument("--timing-rtol", type=float, default=1e-8)
    args = parser.parse_args()
    for name in args.models:
        if not (args.references / name).is_dir():
            continue
        problem, model, build_s = amici_model(name, args.build)
        print(f"{name}: AMICI model built (or loaded) in {build_s:.0f} s", flush=True)
        for design in ("petab_fit", "petab_start"):
            ref = xr.open_dataset(args.references / name / f"{design}.nc")
            if ref.attrs["status"] != "ok":
                print(f"  {design}: our reference failed ({ref.attrs['status']}); nothing to compare")
                continue
            params = [str(p) for p in ref["param"].values]
            point = dict(zip(params, np.asarray(ref["point"].values, dtype=float), strict=True))
            g_ref = np.asarray(ref["ref_grad"].values, dtype=float)
            against_scale = bool(int(ref.attrs["against_scale"]))
            size = float(ref["scale"]) if against_scale else float(np.linalg.norm(g_ref))
            differences = []
            for rtol in CHECK_RTOLS:
                value, grad = gradient(problem, model, point, rtol)()
                g = np.array([grad[p] for p in params])
                differences.append(f"{np.linalg.norm(g - g_ref) / size:.2e} at rtol {rtol:g}")
            call = gradient(problem, model, point, args.timing_rtol)
            for _ in range(2):
                call()
            times = []
            for _ in range(5):
                t = time.perf_counter()
                call()
                times.append(time.perf_counter() - t)
            ours = our_times(name, design, args.timing_rtol, args.references / name / f"{design}.nc")
            print(f"  {design}: objective {value:.10g}; AMICI vs our reference {', '.join(differences)} "
                  f"(of {'the gradient scale' if against_scale else '|g_ref|'}); per gradient at rtol "
                  f"{args.timing_rtol:g}: AMICI {statistics.median(times) * 1e3:.2f} ms, "
                  + ", ".join(f"{m} {t * 1e3:.2f} ms" for m, t in ours.items()), flush=True)  # fmt: skip


if __name__ == "__main__":
    main()
