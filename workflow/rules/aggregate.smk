rule aggregate_atlas:
    input:
        sweeps=get_sweep_files,
        checks=get_reference_check_files,
    output:
        nc="results/atlas.nc",
        csv="results/atlas.csv",
        check=report(
            "results/reference_check.csv",
            caption="../report/reference_check.rst",
            category="Tables",
            labels={"table": "reference check (CSV)"},
        ),
        check_html=report(
            "results/reference_check.html",
            caption="../report/reference_check.rst",
            category="Tables",
            labels={"table": "reference check"},
        ),
    log:
        "logs/aggregate/atlas.log",
    conda:
        "../../envs/gradatlas.yaml"
    threads: 1
    resources:
        mem_mb=1000,
        runtime=10,
    params:
        config=get_atlas_config,
    shell:
        "EQX_ON_ERROR=nan python -m gradatlas_launch aggregate --config {params.config} --sweeps results/sweeps"
        " --checks results/reference_checks --out-check {output.check}"
        " --out-nc {output.nc} --out-csv {output.csv} > {log} 2>&1"
