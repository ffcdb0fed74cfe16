#!/usr/bin/env bash
# Tear down the single-node SLURM started by up.sh, by PID.
state=$(realpath -m "${1:?state dir}")
if [ -f "$state/pids" ]; then
    tac "$state/pids" | while read -r pid; do kill "$pid" 2>/dev/null || true; done
    sleep 1
    tac "$state/pids" | while read -r pid; do kill -9 "$pid" 2>/dev/null || true; done
fi
pkill -f "munged -F" 2>/dev/null || true
rm -f /etc/slurm/slurm.conf
