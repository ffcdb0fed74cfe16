rule compute_reference:
    output:
        "results/references/{model}/{design}.nc",
    log:
        "logs/references/{model}/{design}.log",
    params:
        settings=get_reference_settings,
    threads: 1
    resources:
        mem_mb=1500,
        runtime=30,
    conda:
        "../../envs/gradatlas.yaml"
    shell:
        "{GRADATLAS} reference --model {wildcards.model} --design {wildcards.design}"
        " --settings {params.settings} --out {output} > {log} 2>&1"
