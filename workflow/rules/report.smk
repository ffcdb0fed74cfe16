rule plot_figure:
    input:
        paths.ATLAS,
    output:
        svg=paths.FIGURE.replace("{ext}", "svg"),
        pdf=paths.FIGURE.replace("{ext}", "pdf"),
        png=report(
            paths.FIGURE.replace("{ext}", "png"),
            caption="../report/figure.rst",
            category="Figures",
            subcategory="{figure}",
            labels={"figure": "{figure}", "item": "figure"},
        ),
        findings=report(
            paths.FIGURE.replace("{ext}", "findings.html"),
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
    params:
        outdir=get_output_dir,
    shell:
        "EQX_ON_ERROR=nan python -m gradatlas_launch plot --figure {wildcards.figure}"
        " --atlas {input} --outdir {params.outdir} > {log} 2>&1"


rule write_summary:
    input:
        paths.ATLAS,
    output:
        report(
            paths.SUMMARY,
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


rule evaluate_claims:
    input:
        paths.ATLAS,
    output:
        csv=paths.CLAIMS,
        html=report(
            paths.CLAIMS_HTML,
            caption="../report/claims.rst",
            category="Claims",
            labels={"table": "claims"},
        ),
    log:
        "logs/claims/claims.log",
    conda:
        "../../envs/gradatlas.yaml"
    threads: 1
    resources:
        mem_mb=1000,
        runtime=10,
    shell:
        "EQX_ON_ERROR=nan python -m gradatlas_launch claims --atlas {input} --out {output.csv} > {log} 2>&1"


rule atlas_figures:
    default_target: False
    input:
        get_figure_files,
        paths.SUMMARY,
        paths.CLAIMS,
        get_missing_intermediates,


rule paper_figures:
    default_target: False
    input:
        rules.atlas_figures.input,
        rules.tabulate_origin_case.output,
