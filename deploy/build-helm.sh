#!/usr/bin/env bash
# Builds the Helm CLI pinned in deploy/helm/go.mod (helm.sh/helm/v3) from the Go module proxy into a
# cache outside the repository, the same way e2e/cluster/build.sh builds the test control plane:
#
#   ${NHI_CACHE_DIR:-$HOME/.cache/nhi}/helm/bin-<hash of go.mod + go.sum>/helm
#
# A complete directory for the current pin is reused as is, so a rebuild happens only when the pin
# changes. Progress and timings go to stderr; the path of the helm binary is the last line on stdout.
#
# Environment: NHI_CACHE_DIR (cache root), GO (go binary; default: go in PATH, else
# /usr/local/go/bin/go), NHI_BUILD_NICE (nice level for the compiler, default 10).
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")/helm" && pwd)"
# shellcheck source=../e2e/cluster/pinned-build.sh
source "$(dirname "${BASH_SOURCE[0]}")/../e2e/cluster/pinned-build.sh"
pinned_build_init helm "$here" build-helm.sh

complete() { [[ -x "$bin_dir/helm" && -f "$bin_dir/VERSIONS" ]]; }

if complete; then
  log "reusing $bin_dir"
  echo "$bin_dir/helm"
  exit 0
fi

pinned_build_go
pinned_build_lock complete "$bin_dir/helm"

module_version() { awk -v m="$1" '$1 == m { print $2; exit } $1 == "require" && $2 == m { print $3; exit }' "$here/go.mod"; }
helm_version="$(module_version helm.sh/helm/v3)"
if [[ ! "$helm_version" =~ ^v3\.[0-9]+\.[0-9]+$ ]]; then
  log "cannot read the helm.sh/helm/v3 version from $here/go.mod (got '$helm_version')"
  exit 1
fi

pinned_build_tmp

log "building helm $helm_version with $("$go_bin" env GOVERSION) into $bin_dir"
t0=$(date +%s)
(cd "$here" && "$go_bin" mod download)
t1=$(date +%s)
log "modules ready in $((t1 - t0))s"

# The same stamps as helm's Makefile: `helm version` reports the release, and the default
# Capabilities.KubeVersion (for `helm template` without --kube-version) follows the client-go it links.
client_go="$(cd "$here" && "$go_bin" list -m -f '{{.Version}}' k8s.io/client-go)"
if [[ ! "$client_go" =~ ^v0\.([0-9]+)\.[0-9]+$ ]]; then
  log "cannot read the k8s.io/client-go version (got '$client_go')"
  exit 1
fi
k8s_minor="${BASH_REMATCH[1]}"
ldflags="-s -w -X helm.sh/helm/v3/internal/version.version=$helm_version"
ldflags+=" -X helm.sh/helm/v3/internal/version.gitTreeState=clean"
for pkg in helm.sh/helm/v3/pkg/lint/rules helm.sh/helm/v3/pkg/chartutil; do
  ldflags+=" -X $pkg.k8sVersionMajor=1 -X $pkg.k8sVersionMinor=$k8s_minor"
done

(cd "$here" && CGO_ENABLED=0 nice -n "${NHI_BUILD_NICE:-10}" "$go_bin" build -trimpath -ldflags="$ldflags" \
  -o "$tmp/helm" helm.sh/helm/v3/cmd/helm)
t2=$(date +%s)
{
  echo "helm $helm_version"
  echo "client-go $client_go"
  echo "go $("$go_bin" env GOVERSION)"
  echo "built $(date -u +%Y-%m-%dT%H:%M:%SZ)"
  echo "pin $pin_hash"
} >"$tmp/VERSIONS"

pinned_build_finish
log "compiled and linked in $((t2 - t1))s (total $((t2 - t0))s)"
echo "$bin_dir/helm"
