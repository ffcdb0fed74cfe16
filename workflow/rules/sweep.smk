rule run_sweep:
    input:
        get_reference,
    output:
        "results/sweeps/{model}/{design}/{solver}/{method}.nc",
    log:
        "logs/sweeps/{model}/{design}/{solver}/{method}.log",
    benchmark:
        "results/benchmarks/sweeps/{model}/{design}/{solver}/{method}.tsv"
    params:
        settings=get_sweep_settings,
    threads: 1
    resources:
        mem_mb=1500,
        runtime=30,
    conda:
        "../../envs/gradatlas.yaml"
    shell:
        "{GRADATLAS} sweep --model {wildcards.model} --design {wildcards.design}"
        " --solver {wildcards.solver} --method {wildcards.method} --reference {input}"
        " --settings {params.settings} --out {output} > {log} 2>&1"
