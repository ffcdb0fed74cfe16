"""``gradatlas check MODEL_FILE``: which gradient of one model can be trusted, at which tolerance, at what cost.

The check runs a compact grid through the pipeline itself (the same Snakefile, cell
runner, records, atlas format and figures) with a generated config, in a folder of
its own (``--outdir``, default ``gradatlas-check/<model>``), then prints a verdict per
design and method and writes ``check.html`` (verdict, reference cross-check, regime map
and error-vs-tolerance figure) and ``verdict.csv`` there.

The grid: every JAX method and both CVODES methods; tolerances 1e-3 ... 1e-10; the
model's ``default_designs`` (``data_fit``, ``final_state`` and ``time_average``, or a
PEtab problem's two designs); one explicit and one implicit
solver chosen by the model's category. Options narrow or change each of these.

This module imports nothing heavy at module level (``gradatlas --help`` stays fast).
"""

from __future__ import annotations

import argparse
import os
import re
import subprocess
import sys
import time
from pathlib import Path

RTOLS = (1e-3, 1e-4, 1e-6, 1e-8, 1e-10)
#: seconds one cell may spend on its gradient calls: a stiff model's backward adjoint solve
#: can take many minutes (measured: hires, backsolve_adjoint, Kvaerno5, over 15 min for
#: its first tolerance); past the limit the cell says "timeout" instead of holding the check
CELL_TIME_LIMIT = 20.0
#: the check's references: its tightest tolerance is 1e-10 and its verdict needs errors near 1e-2,
#: so a reference at 1e-10 is ample (hires, final_state: estimated error 2e-13, 28 s instead of
#: 73 s at the pipeline's 1e-12)
REFERENCE = {"rtol": 1e-10, "check_rtol": 1e-8}
#: (explicit, implicit) solver per model category
SOLVERS = {
    "nonstiff": ("tsit5", "kvaerno5"),
    "stiff": ("tsit5", "kvaerno5"),
    "spiking": ("tsit5", "kvaerno5"),
    "chaotic": ("dopri8", "kvaerno5"),
    "systems_biology": ("tsit5", "kvaerno5"),
}
#: where the pipeline lives: the checkout that holds this package
SNAKEFILE = Path(__file__).resolve().parents[2] / "Snakefile"
FIGURES = ("regime_map", "error_vs_tolerance")


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("model_file", help="a Python model file, an SBML file or a PEtab problem (see the README)")
    p.add_argument("--model", help="the model's slug, when the file defines several")
    p.add_argument("--observe", nargs="+", metavar="STATE", help="observed states (default: all)")
    p.add_argument(
        "--parameters", nargs="+", metavar="NAME", help="parameters to differentiate (default: all)"
    )
    p.add_argument("--designs", nargs="+", metavar="DESIGN", help="default: the model's default_designs")
    p.add_argument(
        "--rtols", nargs="+", type=float, metavar="RTOL", help=f"default: {' '.join(map(str, RTOLS))}"
    )
    p.add_argument(
        "--solvers", nargs="+", metavar="SOLVER", help="default: one explicit and one implicit solver"
    )
    p.add_argument("--methods", nargs="+", metavar="METHOD", help="default: every method (JAX and CVODES)")
    p.add_argument("--outdir", help="results folder of the check (default: gradatlas-check/<model>)")
    p.add_argument("--cell-time-limit", type=float, default=CELL_TIME_LIMIT, metavar="SECONDS",
                   help=f"time for one cell's gradient calls, all tolerances (default {CELL_TIME_LIMIT:g}; 0: none)")  # fmt: skip
    p.add_argument(
        "--cores", type=int, default=os.cpu_count() or 1, help="jobs side by side (default: all CPUs)"
    )


def make_config(args, model) -> dict:
    """The check's grid as a pipeline config (validated like any other)."""
    from .methods import METHODS

    config = {
        "model_files": [str(Path(args.model_file).resolve())],
        "models": [model.slug],
        "solvers": list(args.solvers or SOLVERS.get(model.category, SOLVERS["nonstiff"])),
        "designs": list(args.designs or model.default_designs),
        "methods": list(args.methods or METHODS.slugs()),
        "rtols": [float(r) for r in (args.rtols or RTOLS)],
        "cell_time_limit": args.cell_time_limit,
        "reference": dict(REFERENCE),
    }
    host = [m for m in config["methods"] if not METHODS[m].traced]
    config["exclude"] = [
        {"solver": solver, "method": m, "reason": "runs its own solver (CVODES): one solver column is enough"}
        for solver in config["solvers"][1:]
        for m in host
    ]
    if args.observe:
        config["observe"] = {model.slug: list(args.observe)}
    if args.parameters:
        config["parameters"] = {model.slug: list(args.parameters)}
    return config


def run_check(args) -> int:
    import yaml

    from .config import ConfigError, validate
    from .grid import check_config
    from .models import MODELS, load_model_file

    if not SNAKEFILE.exists():
        raise ConfigError(
            f"gradatlas check runs the pipeline of its checkout, but {SNAKEFILE} does not exist"
        )
    path = Path(args.model_file)
    if not path.is_file():
        raise ConfigError(f"no such model file: {str(path)!r}")
    slugs = load_model_file(path)
    if args.model:
        if args.model not in slugs:
            raise ConfigError(f"{path} defines {', '.join(slugs) or 'no model'}, not {args.model!r}")
        slug = args.model
    elif len(slugs) == 1:
        slug = slugs[0]
    else:
        raise ConfigError(f"{path} defines {len(slugs)} models ({', '.join(slugs)}): choose one with --model")
    model = MODELS[slug]
    config = make_config(args, model)
    checked = check_config(validate(dict(config)))  # errors and warnings now, before any job
    for warning in checked.warnings:
        print(f"warning: {warning}", file=sys.stderr, flush=True)

    outdir = Path(args.outdir or Path("gradatlas-check") / slug).resolve()
    outdir.mkdir(parents=True, exist_ok=True)
    (outdir / "config.yaml").write_text(yaml.safe_dump(config, sort_keys=False))
    print(f"gradatlas check {slug}: {len(config['designs'])} designs x {len(config['solvers'])} solvers "
          f"({', '.join(config['solvers'])}) x {len(config['methods'])} methods x {len(config['rtols'])} "
          f"tolerances, in {outdir}", flush=True)  # fmt: skip
    t_start = time.perf_counter()
    code = _snakemake(outdir, args.cores)
    wall = time.perf_counter() - t_start
    if code != 0:
        print(f"the pipeline failed (exit {code}); see {outdir / 'snakemake.log'} and {outdir / 'logs'}",
              file=sys.stderr)  # fmt: skip
        return code
    _report(outdir, model, wall)
    return 0


def _snakemake(outdir: Path, cores: int) -> int:
    """Run the pipeline on the check's config, printing its progress lines."""
    targets = ["results/atlas.nc"] + [f"results/figures/{f}.png" for f in FIGURES]
    cmd = [sys.executable, "-m", "snakemake", "--snakefile", str(SNAKEFILE), "--directory", str(outdir),
           "--cores", str(cores), "--rerun-incomplete", *targets, "--configfile", str(outdir / "config.yaml")]  # fmt: skip
    progress = re.compile(r"^(\d+) of (\d+) steps \((\d+)%\) done")
    shown = -1
    with open(outdir / "snakemake.log", "w") as log:
        proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        for line in proc.stdout:
            log.write(line)
            step = progress.match(line)
            if step and int(step[3]) // 10 > shown:  # every tenth of the way
                shown = int(step[3]) // 10
                print(f"  {line.rstrip()}", flush=True)
            elif line.startswith(("Error", "WorkflowError", "gradatlas warning")):
                print(f"  {line.rstrip()}", flush=True)
        return proc.wait()


def _report(outdir: Path, model, wall: float) -> None:
    import pandas as pd

    from . import io
    from .summary import verdict_table

    atlas = io.open_checked(outdir / "results" / "atlas.nc")
    table = verdict_table(atlas)
    table.to_csv(outdir / "verdict.csv", index=False)
    check = pd.read_csv(outdir / "results" / "reference_check.csv")
    text = format_verdict(table)
    print(text, flush=True)
    flagged = check[check["flag"] == "DISAGREES"]
    if len(flagged):
        print(f"WARNING: {len(flagged)} reference(s) disagree with CVODES: see check.html", flush=True)
    html_path = outdir / "check.html"
    html_path.write_text(_html(model, table, check, outdir, wall))
    print(f"\n{len(table)} rows; pipeline {wall:.0f} s. Report: {html_path}", flush=True)


def format_verdict(table) -> str:
    """The verdict as a plain-text table: one row per design and method."""
    lines = [
        f"{'design':14s} {'method':20s} {'trust from rtol':>15s} {'solver':9s} {'s / gradient':>12s}  verdict"
    ]
    for _, r in table.iterrows():
        rtol = f"{r['loosest_accurate_rtol']:.0e}" if r["accurate"] else "never"
        t = f"{r['run_time']:.3g}" if r["accurate"] else ""
        lines.append(
            f"{r['design']:14s} {r['method']:20s} {rtol:>15s} {r['solver']:9s} {t:>12s}  {r['verdict']}"
        )
    return "\n".join(lines)


def _html(model, table, check, outdir: Path, wall: float) -> str:
    import base64
    import html

    figures = "".join(
        f'<h2>{name.replace("_", " ")}</h2><img style="max-width:100%" src="data:image/png;base64,'
        + base64.b64encode((outdir / "results" / "figures" / f"{name}.png").read_bytes()).decode()
        + '">'
        for name in FIGURES
    )
    fmt = {"float_format": lambda x: f"{x:.3g}", "index": False, "border": 0}
    return (
        f"<!doctype html><html><head><meta charset='utf-8'><title>gradatlas check: {html.escape(model.slug)}"
        "</title></head><body style='font-family:sans-serif'>"
        f"<h1>gradatlas check: {html.escape(model.slug)}</h1><p>{html.escape(model.__doc__ or '')}</p>"
        f"<p>Pipeline wall time {wall:.0f} s. A gradient is <i>accurate</i> when its error against the "
        "reference is at or below the accurate threshold; 'trust from rtol' is the loosest tolerance at "
        "which it is, with the fastest solver there.</p>"
        f"<h2>Verdict</h2>{table.to_html(**fmt)}"
        f"<h2>Reference cross-check (SUNDIALS CVODES)</h2>{check.to_html(**fmt)}"
        f"{figures}</body></html>"
    )
