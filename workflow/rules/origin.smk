rule run_origin_case:
    output:
        paths.ORIGIN_TABLE,
    log:
        "logs/origin_case/{stg_model}.log",
    benchmark:
        "results/benchmarks/origin_case/{stg_model}.tsv"
    wildcard_constraints:
        stg_model="stg_liu1998[a-z0-9_]*",
    conda:
        "../../envs/gradatlas.yaml"
    threads: 1
    resources:
        mem_mb=2000,
        runtime=20,
    params:
        settings=get_origin_settings,
    shell:
        "EQX_ON_ERROR=nan python -m gradatlas_launch origin-table --model {wildcards.stg_model}"
        " --settings {params.settings} --out {output} > {log} 2>&1"


rule run_chaos_experiment:
    output:
        paths.CHAOS,
    log:
        "logs/origin_case/chaos.log",
    benchmark:
        "results/benchmarks/origin_case/chaos.tsv"
    conda:
        "../../envs/gradatlas.yaml"
    threads: 1
    resources:
        mem_mb=2000,
        runtime=30,
    params:
        settings=get_chaos_settings,
    shell:
        "EQX_ON_ERROR=nan python -m gradatlas_launch chaos --settings {params.settings}"
        " --out {output} > {log} 2>&1"


rule tabulate_origin_case:
    input:
        tables=get_origin_tables,
        chaos=paths.CHAOS,
    output:
        table=report(
            paths.ORIGIN_SUMMARY,
            caption="../report/origin_table.rst",
            category="Origin case",
            labels={"item": "table"},
        ),
        markdown="results/origin_case/table.md",
        figure=report(
            "results/origin_case/origin_case.png",
            caption="../report/origin_case.rst",
            category="Origin case",
            labels={"item": "thread rows"},
        ),
        chaos_figure=report(
            "results/origin_case/chaos.png",
            caption="../report/chaos.rst",
            category="Origin case",
            labels={"item": "chaos"},
        ),
        vectors=multiext("results/origin_case/origin_case", ".svg", ".pdf"),
        chaos_vectors=multiext("results/origin_case/chaos", ".svg", ".pdf"),
    log:
        "logs/origin_case/tabulate.log",
    conda:
        "../../envs/gradatlas.yaml"
    threads: 1
    resources:
        mem_mb=1000,
        runtime=10,
    params:
        outdir=get_output_dir,
    shell:
        "EQX_ON_ERROR=nan python -m gradatlas_launch origin-report --tables {input.tables}"
        " --chaos {input.chaos} --table-out {output.table} --outdir {params.outdir} > {log} 2>&1"


rule origin_case:
    default_target: False
    input:
        rules.tabulate_origin_case.output,
