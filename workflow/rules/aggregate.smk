rule aggregate_atlas:
    input:
        get_sweep_files,
    output:
        nc="results/atlas.nc",
        csv="results/atlas.csv",
    log:
        "logs/aggregate/atlas.log",
    params:
        config=get_atlas_config,
    threads: 1
    resources:
        mem_mb=1000,
        runtime=10,
    conda:
        "../../envs/gradatlas.yaml"
    shell:
        "{GRADATLAS} aggregate --config {params.config} --sweeps results/sweeps"
        " --out-nc {output.nc} --out-csv {output.csv} > {log} 2>&1"
