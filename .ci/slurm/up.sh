#!/usr/bin/env bash
# Bring up a single-node SLURM on this machine (as root), for the cluster integration test.
# Usage: .ci/slurm/up.sh STATE_DIR   (writes STATE_DIR/pids; tear down with down.sh STATE_DIR)
set -euo pipefail
state=$(realpath -m "${1:?state dir}")
mkdir -p "$state"/{spool,state,log}
if ! command -v slurmctld >/dev/null || ! command -v munged >/dev/null; then
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq slurmctld slurmd slurm-client munge >/dev/null \
        || { echo "ERROR: could not install slurmctld slurmd slurm-client munge" >&2; exit 2; }
fi
host=$(hostname -s)
cpus=$(nproc)
mem=$(( $(awk '/MemTotal/ {print $2}' /proc/meminfo) / 1024 - 1024 ))
cat > "$state/slurm.conf" <<CONF
ClusterName=gradatlas-ci
SlurmctldHost=${host}(127.0.0.1)
SlurmUser=root
SlurmdUser=root
AuthType=auth/munge
StateSaveLocation=$state/state
SlurmdSpoolDir=$state/spool
SlurmctldPidFile=$state/slurmctld.pid
SlurmdPidFile=$state/slurmd.pid
SlurmctldLogFile=$state/log/slurmctld.log
SlurmdLogFile=$state/log/slurmd.log
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
JobAcctGatherType=jobacct_gather/none
AccountingStorageType=accounting_storage/none
SelectType=select/cons_tres
SelectTypeParameters=CR_Core_Memory
MinJobAge=300
ReturnToService=2
NodeName=${host} NodeAddr=127.0.0.1 CPUs=${cpus} RealMemory=${mem} State=UNKNOWN
PartitionName=ci Nodes=${host} Default=YES MaxTime=INFINITE State=UP
CONF
# The plugin's in-job srun drops SLURM_CONF, so the config must be at the default path.
mkdir -p /etc/slurm
ln -sf "$state/slurm.conf" /etc/slurm/slurm.conf
# munge: a key, and the daemon as the munge user (it needs /run/munge)
mkdir -p /run/munge /etc/munge /var/log/munge /var/lib/munge
[ -s /etc/munge/munge.key ] || dd if=/dev/urandom bs=1 count=1024 of=/etc/munge/munge.key status=none
chown -R munge:munge /run/munge /etc/munge /var/log/munge /var/lib/munge
chmod 400 /etc/munge/munge.key
su -s /bin/sh munge -c "munged -F" > "$state/log/munged.out" 2>&1 &
echo $! > "$state/pids"
sleep 1
slurmctld -D > "$state/log/slurmctld.out" 2>&1 &
echo $! >> "$state/pids"
slurmd -D > "$state/log/slurmd.out" 2>&1 &
echo $! >> "$state/pids"
for _ in $(seq 1 60); do
    if sinfo -h -o '%T' 2>/dev/null | grep -qE '^(idle|mixed)'; then
        echo "SLURM up: $(sinfo -h -o '%P %D %T %c CPUs')"
        exit 0
    fi
    sleep 0.5
done
echo "ERROR: SLURM did not come up" >&2
tail -n 20 "$state"/log/*.log "$state"/log/*.out >&2 || true
exit 3
