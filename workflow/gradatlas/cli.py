"""Thin entry points that the Snakemake rules call: ``python -m gradatlas <command>``.

All logic lives in the library; this module only parses arguments, reads and
writes files, and prints progress to the job's log.
"""

from __future__ import annotations

import argparse
import json
import sys
import time


def _settings(text: str) -> dict:
    return json.loads(text) if text else {}


def cmd_reference(args) -> None:
    from . import io
    from .reference import compute_reference

    s = _settings(args.settings)
    ref_cfg = s.get("reference", {})
    t_start = time.perf_counter()
    ref = compute_reference(
        args.model,
        args.design,
        s.get("observe", "all"),
        n_obs=s.get("n_obs", 50),
        seed=s.get("seed", 0),
        delta_size=s.get("delta", 0.05),
        rtol=ref_cfg.get("rtol", 1e-12),
        check_rtol=ref_cfg.get("check_rtol"),
        max_steps=ref_cfg.get("max_steps", 500_000),
    )
    print(
        f"reference {args.model}/{args.design}: solver={ref.solver} status={ref.status} "
        f"scale={ref.scale:.6g} estimated error={ref.error:.3g} "
        f"({time.perf_counter() - t_start:.1f} s) {ref.message}",
        flush=True,
    )
    io.write(io.reference_to_dataset(ref), args.out, s, f"gradatlas reference {args.model} {args.design}")


def cmd_check_reference(args) -> None:
    from . import io
    from .reference import cvodes_cross_check

    ref = io.reference_from_dataset(io.open_checked(args.reference))
    out = cvodes_cross_check(ref)
    print(
        f"CVODES check of {ref.model}/{ref.design}: rtol {out['cvodes_rtol']:.0e}, disagreement "
        f"{out['cvodes_disagreement']:.3g}, reference error {ref.error:.3g}, CVODES error "
        f"{out['cvodes_error']:.3g} {out['cvodes_message']}",
        flush=True,
    )
    io.write(
        io.check_to_dataset(ref, out), args.out, {}, f"gradatlas check-reference {ref.model} {ref.design}"
    )


def cmd_sweep(args) -> None:
    from . import io
    from .sweep import run_cell

    s = _settings(args.settings)
    ref = io.reference_from_dataset(io.open_checked(args.reference))
    print(f"cell {args.model}/{args.design}/{args.solver}/{args.method}: "
          f"{len(s['rtols'])} tolerances", flush=True)  # fmt: skip
    cell = run_cell(
        args.model, args.solver, args.design, args.method, s["rtols"], ref,
        observe=s.get("observe", "all"), max_steps=s.get("max_steps", 50_000),
        repeats=s.get("repeats", 3), repeat_below=s.get("repeat_below", 0.2),
        thresholds=s.get("thresholds"),
    )  # fmt: skip
    print(f"observations {cell.prepare_time:.2f} s, trace+lower {cell.trace_time:.2f} s, "
          f"trace+lower+compile {cell.compile_time:.2f} s", flush=True)  # fmt: skip
    for i, rtol in enumerate(cell.rtols):
        print(
            f"  rtol={rtol:.0e} status={cell.status[i]} regime={cell.regime[i]} "
            f"error={cell.error[i]:.3g} steps={cell.n_steps[i]} run={cell.run_time[i]:.4f} s "
            f"{cell.message[i]}",
            flush=True,
        )
    io.write(io.cell_to_dataset(cell), args.out, s,
             f"gradatlas sweep {args.model} {args.design} {args.solver} {args.method}")  # fmt: skip


def cmd_aggregate(args) -> None:
    from pathlib import Path

    from . import io
    from .atlas import atlas_table, build_atlas, reference_check_html, reference_check_table

    config = json.loads(args.config)
    atlas = build_atlas(config, args.sweeps)
    io.write(atlas, args.out_nc, config, "gradatlas aggregate")
    atlas_table(atlas).to_csv(args.out_csv, index=False)
    check = reference_check_table(config, args.checks)
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


def cmd_origin_table(args) -> None:
    from .origin import origin_table

    s = _settings(args.settings)
    table = origin_table(args.model, rtol=s.get("rtol", 1e-3), n_obs=s.get("n_obs", 500),
                         max_steps=s.get("max_steps", 50_000))  # fmt: skip
    for _, r in table.iterrows():
        print(f"row {r['row']:3s} {r['method']:20s} {r['design']:16s} {r['observed']:3s} rtol={r['rtol']:.0e} "
              f"|g|={r['grad_norm']:.3g} scale={r['scale']:.3g} error={r['error']:.3g} thread={r['thread']} "
              f"agrees={r['agrees']}", flush=True)  # fmt: skip
    table.to_csv(args.out, index=False)


def cmd_chaos(args) -> None:
    from . import io
    from .origin import chaos_experiment

    s = _settings(args.settings)
    ds = chaos_experiment(tuple(s.get("horizons", (1, 2, 5, 10, 15, 20, 30, 40))),
                          rtols=tuple(s.get("rtols", (1e-6, 1e-10))), thresholds=s.get("thresholds"))  # fmt: skip
    print(f"largest Lyapunov exponent from ||S(t)||: {ds.attrs['lyapunov_estimate']:.3f} "
          f"(literature {ds.attrs['lyapunov_literature']})", flush=True)  # fmt: skip
    for h, e in zip(ds["horizon"].values, ds["reference_error"].values, strict=True):
        print(f"t1={h:g}: reference error {e:.3g}", flush=True)
    io.write(ds, args.out, s, "gradatlas chaos")


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


def cmd_check_config(args) -> None:
    from .grid import check_config, jobs

    config = json.loads(args.config)
    check_config(config)
    print(f"config ok: {len(jobs(config))} jobs")


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(prog="gradatlas", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)

    p = sub.add_parser("reference", help="compute one reference gradient")
    p.add_argument("--model", required=True)
    p.add_argument("--design", required=True)
    p.add_argument("--settings", default="{}", help="JSON settings from the config")
    p.add_argument("--out", required=True)
    p.set_defaults(func=cmd_reference)

    p = sub.add_parser("check-reference", help="recompute a reference with SUNDIALS CVODES")
    p.add_argument("--reference", required=True)
    p.add_argument("--out", required=True)
    p.set_defaults(func=cmd_check_reference)

    p = sub.add_parser("sweep", help="run one cell over all tolerances")
    for key in ("model", "design", "solver", "method", "reference", "out"):
        p.add_argument(f"--{key}", required=True)
    p.add_argument("--settings", default="{}")
    p.set_defaults(func=cmd_sweep)

    p = sub.add_parser("aggregate", help="merge sweep files into the atlas")
    p.add_argument("--config", required=True, help="the workflow config as JSON")
    p.add_argument("--sweeps", required=True, help="root folder of the sweep files")
    p.add_argument("--checks", required=True, help="root folder of the reference cross-check files")
    p.add_argument("--out-check", required=True, help="reference cross-check table (CSV; an .html beside it)")
    p.add_argument("--out-nc", required=True)
    p.add_argument("--out-csv", required=True)
    p.set_defaults(func=cmd_aggregate)

    p = sub.add_parser("plot", help="draw one figure from the atlas")
    p.add_argument("--figure", required=True)
    p.add_argument("--atlas", required=True)
    p.add_argument("--outdir", required=True)
    p.set_defaults(func=cmd_plot)

    p = sub.add_parser("summarize", help="write the summary table from the atlas")
    p.add_argument("--atlas", required=True)
    p.add_argument("--out", required=True)
    p.add_argument("--default-rtol", type=float, default=1e-3)
    p.set_defaults(func=cmd_summarize)

    p = sub.add_parser("origin-table", help="the thread's experiments on one STG conductance set")
    p.add_argument("--model", required=True)
    p.add_argument("--settings", default="{}")
    p.add_argument("--out", required=True)
    p.set_defaults(func=cmd_origin_table)

    p = sub.add_parser("chaos", help="Lorenz-63 horizon sweep and Lyapunov estimate")
    p.add_argument("--settings", default="{}")
    p.add_argument("--out", required=True)
    p.set_defaults(func=cmd_chaos)

    p = sub.add_parser("origin-report", help="merge origin-case tables, draw its figures")
    p.add_argument("--tables", nargs="+", required=True)
    p.add_argument("--chaos", required=True)
    p.add_argument("--table-out", required=True)
    p.add_argument("--outdir", required=True)
    p.set_defaults(func=cmd_origin_report)

    p = sub.add_parser("check-config", help="validate a config (JSON) against the registries")
    p.add_argument("--config", required=True)
    p.set_defaults(func=cmd_check_config)

    args = parser.parse_args(argv)
    from .runtime import configure_process

    configure_process()
    import warnings

    warnings.filterwarnings("ignore", message=".*Complex dtype.*")
    args.func(args)


if __name__ == "__main__":
    sys.exit(main())
