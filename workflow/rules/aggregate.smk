rule aggregate_atlas:
    input:
        sweeps=get_sweep_files,
        references=get_reference_files,
        checks=get_reference_check_files,
    output:
        nc=paths.ATLAS,
        csv=paths.ATLAS_CSV,
        check=report(
            paths.REFERENCE_CHECK_TABLE,
            caption="../report/reference_check.rst",
            category="Tables",
            labels={"table": "reference check (CSV)"},
        ),
        check_html=report(
            paths.REFERENCE_CHECK_HTML,
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
        settings=get_atlas_settings,
    shell:
        "EQX_ON_ERROR=nan python -m gradatlas_launch aggregate --settings {params.settings}"
        " --sweeps {input.sweeps} --references {input.references} --checks {input.checks}"
        " --out-check {output.check} --out-nc {output.nc} --out-csv {output.csv} > {log} 2>&1"
