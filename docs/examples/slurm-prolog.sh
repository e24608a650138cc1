#!/bin/bash
# Slurm Prolog (slurm.conf: Prolog=/etc/slurm/prolog.d/envdoctor.sh), run by slurmd on every node of a
# job before it starts. `envdoctor check` probes the node without importing torch (well under a second)
# against the site's policy. A non-zero exit from a Prolog drains the node and requeues the job (Slurm,
# "Prolog and Epilog Guide", Failure Handling), so a node with a broken driver or torch never starts
# a training run: this script exits 1 only when envdoctor found the node unfit (its exit code 1). When
# envdoctor itself cannot run (a bad policy file: exit 2; an internal error: exit 3) it logs that and
# lets the job start: a broken check must not drain the whole cluster.
set -u
envdoctor=${ENVDOCTOR:-/opt/envdoctor/bin/envdoctor}
policy=${ENVDOCTOR_POLICY:-/etc/envdoctor/policy.toml}
log=${ENVDOCTOR_LOG:-/var/log/envdoctor-prolog.log}
node=${SLURMD_NODENAME:-$(hostname)}

report=$("$envdoctor" check --policy "$policy" --quiet --color never --timeout 20 2>&1)
status=$?
{
    echo "== $(date -u +%Y-%m-%dT%H:%M:%SZ) node $node job ${SLURM_JOB_ID:-?}: envdoctor exit $status"
    echo "$report"
} >>"$log"
if [ "$status" -eq 1 ]; then
    echo "envdoctor: node $node is unfit for GPU jobs; see $log" >&2
    exit 1
fi
exit 0
