#!/usr/bin/env bash
# Cluster integration test: run part of the quick grid through a real single-node SLURM with
# profiles/slurm-ci and check that its atlas equals a local run's (timings aside).
# Needs root (it installs and starts slurmctld, slurmd and munged, and stops them by PID).
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
tmp=$(mktemp -d /tmp/gradatlas-slurm.XXXXXX)
state="$tmp/slurm"
trap '"$root/.ci/slurm/down.sh" "$state"' EXIT
"$root/.ci/slurm/up.sh" "$state"
python3 -m pip install -q "snakemake-executor-plugin-slurm>=2.8" \
    || { echo "ERROR: could not install snakemake-executor-plugin-slurm" >&2; exit 2; }
for d in local cluster; do
    mkdir -p "$tmp/$d"
    cp -r "$root"/{Snakefile,workflow,config,envs,profiles,examples,resources} "$tmp/$d/"
done
export GRADATLAS_JAX_CACHE="$tmp/jax-cache"   # shared by both runs, as on a shared filesystem
# Three models of the quick grid: a built-in one (every method), the origin case, and a PEtab
# problem (a model file that every cluster job must read). The whole quick grid took 549 s
# through SLURM (mostly submission and polling latency), for the same code paths.
for d in local cluster; do
    python3 - "$tmp/$d/config/quick.yaml" "$tmp/$d/config/slurm_ci.yaml" <<'PY'
import sys
import yaml
config = yaml.safe_load(open(sys.argv[1]))
config["models"] = ["linear_decay", "stg_liu1998", "perelson_science1996"]
yaml.safe_dump(config, open(sys.argv[2], "w"))
PY
done
target=(results/atlas.nc --configfile config/slurm_ci.yaml)
start=$(date +%s)
(cd "$tmp/local" && python3 -m snakemake --cores 2 "${target[@]}" >"$tmp/local.log" 2>&1) \
    || { tail -n 40 "$tmp/local.log"; exit 1; }
mid=$(date +%s)
# snakemake ignores SIGTERM while jobs run: bound the run with SIGINT
(cd "$tmp/cluster" && timeout -s INT 1500 python3 -m snakemake --profile profiles/slurm-ci "${target[@]}" \
    >"$tmp/cluster.log" 2>&1) || { tail -n 60 "$tmp/cluster.log"; tail -n 20 "$state"/log/*.log; exit 1; }
end=$(date +%s)
echo "local run: $((mid - start)) s; SLURM run: $((end - mid)) s"
submitted=$(grep -c "Job .* has been submitted with SLURM jobid" "$tmp/cluster.log" || true)
echo "SLURM submissions: $submitted"
[ "$submitted" -gt 0 ] || { echo "ERROR: nothing was submitted to SLURM" >&2; tail -n 40 "$tmp/cluster.log"; exit 1; }
python3 - "$tmp/local/results/atlas.nc" "$tmp/cluster/results/atlas.nc" <<'PY'
import sys
import xarray as xr
a, b = (xr.open_dataset(p) for p in sys.argv[1:3])
timings = {"run_time", "compile_time", "trace_time", "warmup_time"}
assert set(a.data_vars) == set(b.data_vars)
for v in sorted(set(a.data_vars) - timings):
    xr.testing.assert_equal(a[v], b[v])
print(f"SLURM atlas equals the local atlas: {a['error'].size} cells, {len(set(a.data_vars) - timings)} variables")
PY
echo "SLURM integration test: OK"
