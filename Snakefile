# gradatlas: where gradients through ODE solvers can be trusted.
# Table of contents. The science lives in workflow/gradatlas; rules only call it.
from snakemake.utils import min_version

min_version("9.0")


configfile: "config/config.yaml"


include: "workflow/rules/common.smk"
include: "workflow/rules/reference.smk"
include: "workflow/rules/sweep.smk"
include: "workflow/rules/aggregate.smk"


rule all:
    default_target: True
    input:
        "results/atlas.nc",
        "results/atlas.csv",
