#!/usr/bin/env bash
# Install a pinned kustomize into <repo>/.cache/bin, built from the Go module proxy.
#
# Idempotent: does nothing when the cached binary already reports the pinned version.
# Used by `make test` (tests/deploy renders the overlays with it); no kubectl needed.
# Override the pin with KUSTOMIZE_VERSION, the destination with KUSTOMIZE_BIN_DIR.
set -euo pipefail

version="${KUSTOMIZE_VERSION:-v5.7.1}"
repo_root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
bin_dir="${KUSTOMIZE_BIN_DIR:-${repo_root}/.cache/bin}"
binary="${bin_dir}/kustomize"

if [[ -x "${binary}" ]] && "${binary}" version 2>/dev/null | grep -qx "${version}"; then
    echo "kustomize ${version} already at ${binary}"
    exit 0
fi

command -v go >/dev/null || { echo "go is required to build kustomize" >&2; exit 1; }
mkdir -p "${bin_dir}"
# GOTOOLCHAIN=local: build with the installed Go rather than fetching another toolchain.
GOBIN="${bin_dir}" GOTOOLCHAIN=local CGO_ENABLED=0 \
    go install "sigs.k8s.io/kustomize/kustomize/v5@${version}"
"${binary}" version
