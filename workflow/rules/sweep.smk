rule run_sweep:
    input:
        reference=get_reference,
        model_file=get_model_file,
    output:
        paths.SWEEP,
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
        "EQX_ON_ERROR=nan python -m gradatlas_launch sweep --settings {params.settings}"
        " --reference {input.reference} --out {output} > {log} 2>&1"
