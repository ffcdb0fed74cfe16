rule plot_figure:
    input:
        "results/atlas.nc",
    output:
        svg="results/figures/{figure}.svg",
        pdf="results/figures/{figure}.pdf",
        png=report(
            "results/figures/{figure}.png",
            caption="../report/figure.rst",
            category="Figures",
            subcategory="{figure}",
            labels={"figure": "{figure}", "item": "figure"},
        ),
        findings=report(
            "results/figures/{figure}.findings.html",
            caption="../report/findings.rst",
            category="Figures",
            subcategory="{figure}",
            labels={"figure": "{figure}", "item": "what the atlas shows"},
        ),
    log:
        "logs/figures/{figure}.log",
    wildcard_constraints:
        figure="|".join(FIGURES),
    conda:
        "../../envs/gradatlas.yaml"
    threads: 1
    resources:
        mem_mb=1500,
        runtime=10,
    shell:
        "EQX_ON_ERROR=nan python -m gradatlas_launch plot --figure {wildcards.figure}"
        " --atlas {input} --outdir results/figures > {log} 2>&1"


rule write_summary:
    input:
        "results/atlas.nc",
    output:
        report(
            "results/summary.csv",
            caption="../report/summary.rst",
            category="Tables",
            labels={"table": "summary"},
        ),
    log:
        "logs/summary/summary.log",
    conda:
        "../../envs/gradatlas.yaml"
    threads: 1
    resources:
        mem_mb=1000,
        runtime=10,
    params:
        default_rtol=config["report"]["default_rtol"],
    shell:
        "EQX_ON_ERROR=nan python -m gradatlas_launch summarize --atlas {input}"
        " --default-rtol {params.default_rtol} --out {output} > {log} 2>&1"


rule atlas_figures:
    default_target: False
    input:
        get_figure_files,
        "results/summary.csv",


rule paper_figures:
    default_target: False
    input:
        rules.atlas_figures.input,
        "results/origin_case/table.csv",
        "results/origin_case/origin_case.png",
        "results/origin_case/chaos.png",
