#!/usr/bin/env bash
# Install a pinned promtool (Prometheus's rule checker) into <repo>/.cache/bin, built from the
# Go module proxy. Prometheus 3.x is the Go module version v0.3XY.Z (promtool 3.XY.Z).
#
# Idempotent: does nothing when the stamp next to the binary names the pinned version (a
# `go install`ed promtool does not know its own version). Used by `make test`
# (tests/observability validates deploy/observability with it). Override the pin with
# PROMTOOL_VERSION, the destination with PROMTOOL_BIN_DIR.
set -euo pipefail

version="${PROMTOOL_VERSION:-v0.316.0}"
repo_root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
bin_dir="${PROMTOOL_BIN_DIR:-${repo_root}/.cache/bin}"
binary="${bin_dir}/promtool"
stamp="${binary}.version"

if [[ -x "${binary}" && -f "${stamp}" && "$(cat "${stamp}")" == "${version}" ]]; then
    echo "promtool ${version} already at ${binary}"
    exit 0
fi

command -v go >/dev/null || { echo "go is required to build promtool" >&2; exit 1; }
mkdir -p "${bin_dir}"
# GOTOOLCHAIN=local: build with the installed Go rather than fetching another toolchain.
GOBIN="${bin_dir}" GOTOOLCHAIN=local CGO_ENABLED=0 \
    go install "github.com/prometheus/prometheus/cmd/promtool@${version}"
echo "${version}" > "${stamp}"
echo "built ${binary} (${version})"
