rule compute_reference:
    input:
        model_file=get_model_file,
    output:
        paths.REFERENCE,
    log:
        "logs/references/{model}/{design}.log",
    benchmark:
        "results/benchmarks/references/{model}/{design}.tsv"
    # References first: every sweep of a (model, design) waits for its reference, and
    # Snakemake otherwise prefers the jobs with larger inputs (the sweeps), which left
    # references to start late and the last sweeps to run on one core.
    priority: 1
    conda:
        "../../envs/gradatlas.yaml"
    threads: 1
    resources:
        mem_mb=1500,
        runtime=30,
    params:
        settings=get_reference_settings,
    shell:
        "EQX_ON_ERROR=nan python -m gradatlas_launch reference --settings {params.settings}"
        " --out {output} > {log} 2>&1"


rule check_reference:
    input:
        reference=paths.REFERENCE,
        model_file=get_model_file,
    output:
        paths.REFERENCE_CHECK,
    log:
        "logs/reference_checks/{model}/{design}.log",
    benchmark:
        "results/benchmarks/reference_checks/{model}/{design}.tsv"
    group:
        "reference"
    conda:
        "../../envs/gradatlas.yaml"
    threads: 1
    resources:
        mem_mb=1000,
        runtime=15,
    params:
        settings=get_reference_settings,
    shell:
        "EQX_ON_ERROR=nan python -m gradatlas_launch check-reference --settings {params.settings}"
        " --reference {input.reference} --out {output} > {log} 2>&1"
