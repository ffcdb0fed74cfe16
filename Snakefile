# gradatlas: where gradients through ODE solvers can be trusted.
# Table of contents. The science lives in workflow/gradatlas; rules only call it.
from snakemake.utils import min_version

min_version("9.0")


# Config: config/config.yaml (the paper grid) unless --configfile names another, which
# replaces it; --config then overrides single keys. common.smk loads and validates it.
include: "workflow/rules/common.smk"
include: "workflow/rules/reference.smk"
include: "workflow/rules/sweep.smk"
include: "workflow/rules/aggregate.smk"
include: "workflow/rules/origin.smk"
include: "workflow/rules/report.smk"


report: "workflow/report/workflow.rst"


# Cheap bookkeeping runs on the submitting host, never as a cluster job.
localrules:
    all,
    aggregate_atlas,
    plot_figure,
    write_summary,
    evaluate_claims,
    atlas_figures,
    paper_figures,
    tabulate_origin_case,
    origin_case,


rule all:
    default_target: True
    input:
        paths.ATLAS,
        paths.ATLAS_CSV,
        rules.atlas_figures.input,
