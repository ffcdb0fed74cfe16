rule compute_reference:
    output:
        "results/references/{model}/{design}.nc",
    log:
        "logs/references/{model}/{design}.log",
    conda:
        "../../envs/gradatlas.yaml"
    threads: 1
    resources:
        mem_mb=1500,
        runtime=30,
    params:
        settings=get_reference_settings,
    shell:
        "EQX_ON_ERROR=nan python -m gradatlas reference --model {wildcards.model} --design {wildcards.design}"
        " --settings {params.settings} --out {output} > {log} 2>&1"
