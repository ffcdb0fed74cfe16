rule run_sweep:
    input:
        get_reference,
    output:
        "results/sweeps/{model}/{design}/{solver}/{method}.nc",
    log:
        "logs/sweeps/{model}/{design}/{solver}/{method}.log",
    benchmark:
        "results/benchmarks/sweeps/{model}/{design}/{solver}/{method}.tsv"
    group:
        "sweep"
    conda:
        "../../envs/gradatlas.yaml"
    threads: 1
    resources:
        # measured over the full paper grid (436 cells): max RSS 839 MB; median
        # 6 s, 90th percentile 15 s, longest 64 s per cell. (Benchmark files
        # measured the whole job then; with the fork server, the worker's CPU and
        # peak memory are the last line of the job's log.)
        mem_mb=1000,
        runtime=15,
    params:
        settings=get_sweep_settings,
    shell:
        "EQX_ON_ERROR=nan python -m gradatlas_launch sweep --model {wildcards.model} --design {wildcards.design}"
        " --solver {wildcards.solver} --method {wildcards.method} --reference {input}"
        " --settings {params.settings} --out {output} > {log} 2>&1"
