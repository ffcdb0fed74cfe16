"""The ``gradatlas`` command: tools for users, and the thin entry points the Snakemake rules call.

All logic lives in the library; this module parses arguments, reads and writes
files, and prints progress. It imports nothing heavy at module level, so
``gradatlas --help`` answers without starting jax.
"""

from __future__ import annotations

import argparse
import sys

USAGE = """gradatlas COMMAND [options]    (gradatlas COMMAND --help for a command's options)

user commands:
  check           which gradient of one model can be trusted, at which tolerance: a verdict and check.html
  check-config    validate a config file (YAML) against the schema and the registries

pipeline commands (what the Snakemake rules run; not needed by hand):
  reference       compute one reference gradient
  check-reference recompute a reference with SUNDIALS CVODES
  sweep           run one cell over all tolerances
  aggregate       score the sweep files against their references into the atlas
  plot            draw one figure from the atlas
  summarize       write the summary table from the atlas
  claims          evaluate the README's claims against the atlas (--readme: rewrite its claim blocks)
  origin-table    the forum thread's experiments on one STG conductance set
  chaos           Lorenz-63 horizon sweep and Lyapunov estimate
  origin-report   merge origin-case tables, draw their figures
"""

PIPELINE = {"reference", "check-reference", "sweep", "aggregate", "plot", "summarize", "claims",
            "origin-table", "chaos", "origin-report"}  # fmt: skip


def _load_model(model_file: str | None) -> None:
    """Register the user's model file a job's model comes from (built-in models need none)."""
    if model_file:
        from .models import load_model_file

        load_model_file(model_file)


# ---- pipeline commands ----
def cmd_reference(args) -> None:
    import time

    from . import io
    from .reference import compute_reference
    from .settings import ReferenceSettings

    s = ReferenceSettings.from_json(args.settings)
    _load_model(s.model_file)
    t_start = time.perf_counter()
    ref = compute_reference(s)
    print(
        f"reference {s.model}/{s.design}: solver={ref.solver} status={ref.status} "
        f"scale={ref.scale:.6g} estimated error={ref.error:.3g} "
        f"({time.perf_counter() - t_start:.1f} s) {ref.message}",
        flush=True,
    )
    io.write(io.reference_to_dataset(ref), args.out, history=f"gradatlas reference {s.model} {s.design}")


def cmd_check_reference(args) -> None:
    from . import io
    from .reference import cvodes_cross_check
    from .settings import ReferenceSettings

    s = ReferenceSettings.from_json(args.settings)
    _load_model(s.model_file)
    ref = io.reference_from_dataset(io.open_checked(args.reference))
    out = cvodes_cross_check(ref, s)
    print(
        f"CVODES check of {ref.model}/{ref.design}: rtol {out['cvodes_rtol']:.0e}, disagreement "
        f"{out['cvodes_disagreement']:.3g}, reference error {ref.error:.3g}, CVODES error "
        f"{out['cvodes_error']:.3g} {out['cvodes_message']}",
        flush=True,
    )
    io.write(
        io.check_to_dataset(ref, out), args.out, history=f"gradatlas check-reference {ref.model} {ref.design}"
    )


def cmd_sweep(args) -> None:
    from . import io
    from .settings import SweepSettings
    from .sweep import run_cell

    s = SweepSettings.from_json(args.settings)
    _load_model(s.model_file)
    ref = io.reference_from_dataset(io.open_checked(args.reference))
    print(f"cell {s.model}/{s.design}/{s.solver}/{s.method}: {len(s.rtols)} tolerances", flush=True)
    cell = run_cell(s, ref)
    print(f"observations {cell.prepare_time:.2f} s, trace+lower {cell.trace_time:.2f} s, "
          f"trace+lower+compile {cell.compile_time:.2f} s, warm-up {cell.warmup_time:.3f} s", flush=True)  # fmt: skip
    for i, rtol in enumerate(cell.rtols):
        print(
            f"  rtol={rtol:.0e} status={cell.status[i]} steps={cell.n_steps[i]} "
            f"run={cell.run_time[i]:.4g} s |grad|={float((cell.grad[i] ** 2).sum()) ** 0.5:.4g} {cell.message[i]}",
            flush=True,
        )
    io.write(io.cell_to_dataset(cell), args.out,
             history=f"gradatlas sweep {s.model} {s.design} {s.solver} {s.method}")  # fmt: skip
    if cell.abandoned:  # a call past the time limit still runs on XLA's thread: end here
        import os

        print("the cell ran past its time limit; recorded, exiting", flush=True)
        sys.stdout.flush()
        sys.stderr.flush()
        os._exit(0)


def cmd_aggregate(args) -> None:
    from pathlib import Path

    from . import io
    from .atlas import (
        atlas_table,
        build_atlas,
        code_warnings,
        reference_check_html,
        reference_check_table,
        warn,
    )
    from .methods import METHODS
    from .settings import AtlasSettings

    s = AtlasSettings.from_json(args.settings)
    atlas = build_atlas(s, args.sweeps, args.references, {m: METHODS[m] for m in s.methods})
    warn(code_warnings(atlas))
    check = reference_check_table(args.checks)
    io.write(atlas, args.out_nc, history="gradatlas aggregate")
    atlas_table(atlas).to_csv(args.out_csv, index=False)
    check.to_csv(args.out_check, index=False)
    Path(args.out_check).with_suffix(".html").write_text(reference_check_html(check))
    flagged = check[check["flag"] == "DISAGREES"]
    print(f"reference check: {len(check)} references, {len(flagged)} disagree with CVODES", flush=True)
    for _, r in flagged.iterrows():
        print(f"  WARNING {r['model']}/{r['design']}: disagreement {r['disagreement']:.3g} > "
              f"reference error {r['reference_error']:.3g} and CVODES error {r['cvodes_error']:.3g}", flush=True)  # fmt: skip
    counts = atlas["regime"].to_series().value_counts()
    print("cells per regime:\n" + counts.to_string(), flush=True)


def cmd_plot(args) -> None:
    from pathlib import Path

    from . import io
    from .plots import FIGURES
    from .summary import findings_html

    atlas = io.open_checked(args.atlas)
    for path in FIGURES[args.figure](atlas, args.outdir):
        print(f"wrote {path}", flush=True)
    findings = Path(args.outdir) / f"{args.figure}.findings.html"
    findings.write_text(findings_html(atlas, args.figure))
    print(f"wrote {findings}", flush=True)


def cmd_summarize(args) -> None:
    from . import io
    from .summary import summary_table

    atlas = io.open_checked(args.atlas)
    table = summary_table(atlas, args.default_rtol)
    table.to_csv(args.out, index=False)
    print(f"wrote {args.out}: {len(table)} rows", flush=True)


def cmd_claims(args) -> None:
    from pathlib import Path

    from . import io
    from .claims import evaluate, report_html, update_readme

    table = evaluate(io.open_checked(args.atlas))
    table.to_csv(args.out, index=False)
    Path(args.out).with_suffix(".html").write_text(report_html(table))
    for _, r in table.iterrows():
        print(f"{r['status']:>12}  {r['id']}: {r['supporting']} for, {r['contradicting']} against"
              + (f" ({r['contradicting_examples']})" if r["contradicting"] else ""), flush=True)  # fmt: skip
    if args.readme:
        print(f"rewrote {update_readme(args.readme, table)} claim blocks in {args.readme}", flush=True)


def cmd_origin_table(args) -> None:
    from .origin import origin_table
    from .settings import OriginSettings

    table = origin_table(OriginSettings.from_json(args.settings))
    for _, r in table.iterrows():
        print(f"row {r['row']:3s} {r['method']:20s} {r['design']:16s} {r['observed']:3s} rtol={r['rtol']:.0e} "
              f"|g|={r['grad_norm']:.3g} scale={r['scale']:.3g} error={r['error']:.3g} thread={r['thread']} "
              f"agrees={r['agrees']}", flush=True)  # fmt: skip
    table.to_csv(args.out, index=False)


def cmd_chaos(args) -> None:
    from . import io
    from .origin import chaos_experiment
    from .settings import ChaosSettings

    ds = chaos_experiment(ChaosSettings.from_json(args.settings))
    print(f"largest Lyapunov exponent from ||S(t)||: {ds.attrs['lyapunov_estimate']:.3f} "
          f"(literature {ds.attrs['lyapunov_literature']})", flush=True)  # fmt: skip
    for h, e in zip(ds["horizon"].values, ds["reference_error"].values, strict=True):
        print(f"t1={h:g}: reference error {e:.3g}", flush=True)
    io.write(ds, args.out, history="gradatlas chaos")


def cmd_origin_report(args) -> None:
    from pathlib import Path

    import pandas as pd

    from . import io
    from .plots import origin_case

    table = pd.concat([pd.read_csv(p) for p in args.tables], ignore_index=True)
    table.to_csv(args.table_out, index=False)
    chaos = io.open_checked(args.chaos)
    for path in origin_case.plot(table, args.outdir) + origin_case.plot_chaos(chaos, args.outdir):
        print(f"wrote {path}", flush=True)
    Path(args.table_out).with_suffix(".md").write_text(origin_case.markdown(table, chaos))


# ---- user commands ----
def cmd_check(args) -> None:
    from .check import run_check

    code = run_check(args)
    if code:
        sys.exit(code)


def cmd_check_config(args) -> None:
    from .config import coerce_cli_values, load_yaml, validate
    from .grid import check_config, jobs

    config = validate(coerce_cli_values(load_yaml(args.path)))
    checked = check_config(config)
    for warning in checked.warnings:
        print(f"warning: {warning}", file=sys.stderr)
    print(f"{args.path}: config ok: {len(jobs(config))} jobs")


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="gradatlas", usage=USAGE, add_help=True, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND", help=argparse.SUPPRESS)

    def command(name, func, help_text):
        p = sub.add_parser(name, help=help_text, description=help_text)
        p.set_defaults(func=func)
        return p

    p = command("check", cmd_check, "which gradient of one model can be trusted, at which tolerance")
    from .check import add_arguments

    add_arguments(p)

    p = command(
        "check-config", cmd_check_config, "validate a config file against the schema and the registries"
    )
    p.add_argument("path", help="a YAML config file (e.g. config/quick.yaml)")

    p = command("reference", cmd_reference, "compute one reference gradient")
    p.add_argument("--settings", required=True, help="ReferenceSettings as JSON")
    p.add_argument("--out", required=True)

    p = command("check-reference", cmd_check_reference, "recompute a reference with SUNDIALS CVODES")
    p.add_argument("--settings", required=True, help="the reference's ReferenceSettings as JSON")
    p.add_argument("--reference", required=True)
    p.add_argument("--out", required=True)

    p = command("sweep", cmd_sweep, "run one cell over all tolerances")
    p.add_argument("--settings", required=True, help="SweepSettings as JSON")
    p.add_argument("--reference", required=True)
    p.add_argument("--out", required=True)

    p = command("aggregate", cmd_aggregate, "score the sweep files against their references into the atlas")
    p.add_argument("--settings", required=True, help="AtlasSettings as JSON")
    p.add_argument("--sweeps", nargs="+", required=True)
    p.add_argument("--references", nargs="+", required=True)
    p.add_argument("--checks", nargs="+", required=True)
    p.add_argument("--out-check", required=True, help="reference cross-check table (CSV; an .html beside it)")
    p.add_argument("--out-nc", required=True)
    p.add_argument("--out-csv", required=True)

    p = command("plot", cmd_plot, "draw one figure from the atlas")
    p.add_argument("--figure", required=True)
    p.add_argument("--atlas", required=True)
    p.add_argument("--outdir", required=True)

    p = command("summarize", cmd_summarize, "write the summary table from the atlas")
    p.add_argument("--atlas", required=True)
    p.add_argument("--out", required=True)
    p.add_argument("--default-rtol", type=float, required=True)

    p = command("claims", cmd_claims, "evaluate the README's claims against the atlas")
    p.add_argument("--atlas", required=True)
    p.add_argument("--out", required=True, help="CSV (an .html beside it)")
    p.add_argument("--readme", help="rewrite this README's claim blocks from the result")

    p = command("origin-table", cmd_origin_table, "the thread's experiments on one STG conductance set")
    p.add_argument("--settings", required=True, help="OriginSettings as JSON")
    p.add_argument("--out", required=True)

    p = command("chaos", cmd_chaos, "Lorenz-63 horizon sweep and Lyapunov estimate")
    p.add_argument("--settings", required=True, help="ChaosSettings as JSON")
    p.add_argument("--out", required=True)

    p = command("origin-report", cmd_origin_report, "merge origin-case tables, draw their figures")
    p.add_argument("--tables", nargs="+", required=True)
    p.add_argument("--chaos", required=True)
    p.add_argument("--table-out", required=True)
    p.add_argument("--outdir", required=True)
    return parser


def main(argv=None) -> None:
    args = _parser().parse_args(argv)
    if args.command in PIPELINE:
        from .runtime import configure_process

        configure_process()
    import warnings

    warnings.filterwarnings("ignore", message=".*Complex dtype.*")
    from .config import ConfigError
    from .errors import CorruptFile

    try:
        args.func(args)
    except CorruptFile as e:  # one line: which file, and that a rerun recomputes it
        print(f"error: {e}", file=sys.stderr, flush=True)
        sys.exit(1)
    except ConfigError as e:
        print(f"error: {e}", file=sys.stderr, flush=True)
        sys.exit(2)


if __name__ == "__main__":
    sys.exit(main())
