#!/usr/bin/env bash
# Builds the real upstream control plane pinned in e2e/cluster/go.mod (etcd, kube-apiserver,
# kube-controller-manager) into a cache outside the repository:
#
#   ${NHI_CACHE_DIR:-$HOME/.cache/nhi}/cluster/bin-<hash of go.mod + go.sum>/
#
# A complete directory for the current pin is reused as is, so a rebuild happens only when the
# pin changes. Progress and timings go to stderr; the binary directory is the last line on stdout.
#
# Environment: NHI_CACHE_DIR (cache root), GO (go binary; default: go in PATH, else
# /usr/local/go/bin/go), NHI_BUILD_NICE (nice level for the compiler, default 10).
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
# shellcheck source=pinned-build.sh
source "$here/pinned-build.sh"
pinned_build_init cluster "$here" build.sh
binaries=(etcd kube-apiserver kube-controller-manager)

complete() {
  local b
  for b in "${binaries[@]}"; do [[ -x "$bin_dir/$b" ]] || return 1; done
  [[ -f "$bin_dir/VERSIONS" ]]
}

if complete; then
  log "reusing $bin_dir"
  echo "$bin_dir"
  exit 0
fi

pinned_build_go
pinned_build_lock complete "$bin_dir"

module_version() { awk -v m="$1" '$1 == m { print $2; exit }' "$here/go.mod"; }
k8s_version="$(module_version k8s.io/kubernetes)"
etcd_version="$(module_version go.etcd.io/etcd/server/v3)"
if [[ ! "$k8s_version" =~ ^v([0-9]+)\.([0-9]+)\.[0-9]+$ ]]; then
  log "cannot read the k8s.io/kubernetes version from $here/go.mod (got '$k8s_version')"
  exit 1
fi
k8s_major="${BASH_REMATCH[1]}"
k8s_minor="${BASH_REMATCH[2]}"

# Stamp the release into the binaries as the upstream build does (hack/lib/version.sh), so that
# /version reports it. -X only changes the link step: the compile cache stays valid.
build_date="$(date -u +%Y-%m-%dT%H:%M:%SZ)"
ldflags="-s -w"
for pkg in k8s.io/component-base/version k8s.io/client-go/pkg/version; do
  ldflags+=" -X $pkg.gitVersion=$k8s_version -X $pkg.gitMajor=$k8s_major -X $pkg.gitMinor=$k8s_minor"
  ldflags+=" -X $pkg.gitTreeState=clean -X $pkg.buildDate=$build_date"
done

pinned_build_tmp

log "building kubernetes $k8s_version and etcd $etcd_version with $("$go_bin" env GOVERSION) into $bin_dir"
t0=$(date +%s)
(cd "$here" && "$go_bin" mod download)
t1=$(date +%s)
log "modules ready in $((t1 - t0))s"
(cd "$here" && nice -n "${NHI_BUILD_NICE:-10}" "$go_bin" build -trimpath -ldflags="$ldflags" -o "$tmp/" \
  go.etcd.io/etcd/server/v3 \
  k8s.io/kubernetes/cmd/kube-apiserver \
  k8s.io/kubernetes/cmd/kube-controller-manager)
t2=$(date +%s)
mv "$tmp/server" "$tmp/etcd"
{
  echo "kubernetes $k8s_version"
  echo "etcd $etcd_version"
  echo "go $("$go_bin" env GOVERSION)"
  echo "built $build_date"
  echo "pin $pin_hash"
} >"$tmp/VERSIONS"

pinned_build_finish
log "compiled and linked in $((t2 - t1))s (total $((t2 - t0))s)"
echo "$bin_dir"
