rule aggregate_atlas:
    input:
        get_sweep_files,
    output:
        nc="results/atlas.nc",
        csv="results/atlas.csv",
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
        "EQX_ON_ERROR=nan python -m gradatlas aggregate --config {params.config} --sweeps results/sweeps"
        " --out-nc {output.nc} --out-csv {output.csv} > {log} 2>&1"
