#!/usr/bin/env bash
# Build deploy/tools/compose-validate (the Compose Specification's JSON Schema check, via
# compose-go from the Go module proxy) into <repo>/.cache/bin. Idempotent: rebuilds only when
# its sources change. Used by `make test` (tests/deploy/test_compose.py).
set -euo pipefail

repo_root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
src="${repo_root}/deploy/tools/compose-validate"
bin_dir="${COMPOSE_VALIDATE_BIN_DIR:-${repo_root}/.cache/bin}"
binary="${bin_dir}/compose-validate"
stamp="${binary}.sha256"
digest="$(cat "${src}/go.mod" "${src}/go.sum" "${src}/main.go" | sha256sum | cut -d' ' -f1)"

if [[ -x "${binary}" && -f "${stamp}" && "$(cat "${stamp}")" == "${digest}" ]]; then
    echo "compose-validate up to date at ${binary}"
    exit 0
fi
command -v go >/dev/null || { echo "go is required to build compose-validate" >&2; exit 1; }
mkdir -p "${bin_dir}"
(cd "${src}" && GOTOOLCHAIN=local CGO_ENABLED=0 go build -o "${binary}" .)
echo "${digest}" > "${stamp}"
echo "built ${binary}"
