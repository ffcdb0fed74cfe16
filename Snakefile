# gradatlas: where gradients through ODE solvers can be trusted.
# Table of contents. The science lives in workflow/gradatlas; rules only call it.
from snakemake.utils import min_version

min_version("9.0")


# The paper grid is the default. A config given with --configfile replaces it
# (instead of being merged into it, which would leak paper-grid keys such as
# solvers_by_model into a smaller grid); --config then overrides single keys.
if not workflow.overwrite_configfiles:

    configfile: "config/config.yaml"


include: "workflow/rules/common.smk"
include: "workflow/rules/reference.smk"
include: "workflow/rules/sweep.smk"
include: "workflow/rules/aggregate.smk"
include: "workflow/rules/report.smk"
include: "workflow/rules/origin.smk"


report: "workflow/report/workflow.rst"


# Cheap bookkeeping runs on the submitting host, never as a cluster job.
localrules:
    all,
    aggregate_atlas,
    plot_figure,
    write_summary,
    atlas_figures,
    paper_figures,
    tabulate_origin_case,
    origin_case,


rule all:
    default_target: True
    input:
        "results/atlas.nc",
        "results/atlas.csv",
        rules.atlas_figures.input,
