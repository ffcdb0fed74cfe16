rule compute_reference:
    output:
        "results/references/{model}/{design}.nc",
    log:
        "logs/references/{model}/{design}.log",
    benchmark:
        "results/benchmarks/references/{model}/{design}.tsv"
    conda:
        "../../envs/gradatlas.yaml"
    threads: 1
    resources:
        mem_mb=1500,
        runtime=30,
    params:
        settings=get_reference_settings,
    shell:
        "EQX_ON_ERROR=nan python -m gradatlas_launch reference --model {wildcards.model} --design {wildcards.design}"
        " --settings {params.settings} --out {output} > {log} 2>&1"


rule check_reference:
    input:
        "results/references/{model}/{design}.nc",
    output:
        "results/reference_checks/{model}/{design}.nc",
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
    shell:
        "EQX_ON_ERROR=nan python -m gradatlas_launch check-reference --reference {input}"
        " --out {output} > {log} 2>&1"
