#!/usr/bin/env bash
# validate.sh [FILE...]: the Kubernetes manifests (default: deploy/k8s/cluster.yaml)
# checked against the Kubernetes API's JSON schemas (npm kubernetes-models,
# validated with ajv; see validate.mjs). Installs the pinned npm packages
# once into $IFED_K8S_VALIDATE_DIR (default /var/tmp/ifed-k8s-validate).
# Needs node and npm. Exit 1 when a document is invalid.
set -euo pipefail
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd -P)
dir=${IFED_K8S_VALIDATE_DIR:-/var/tmp/ifed-k8s-validate}
command -v node >/dev/null && command -v npm >/dev/null \
  || { echo "validate.sh: node and npm are needed" >&2; exit 1; }
if [[ ! -f $dir/node_modules/kubernetes-models/package.json || ! -f $dir/node_modules/yaml/package.json ]]; then
  mkdir -p "$dir"
  npm install --prefix "$dir" --no-audit --no-fund --silent kubernetes-models@5.1.0 yaml@2 >&2
fi
(($#)) || set -- "$HERE/cluster.yaml"
IFED_K8S_MODULES=$dir/node_modules exec node "$HERE/validate.mjs" "$@"
