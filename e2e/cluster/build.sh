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
cache_root="${NHI_CACHE_DIR:-${HOME}/.cache/nhi}/cluster"
pin_hash="$(cat "$here/go.mod" "$here/go.sum" | sha256sum | cut -c1-16)"
bin_dir="$cache_root/bin-$pin_hash"
binaries=(etcd kube-apiserver kube-controller-manager)

log() { printf 'build.sh: %s\n' "$*" >&2; }

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

go_bin="${GO:-$(command -v go || true)}"
[[ -n "$go_bin" ]] || go_bin=/usr/local/go/bin/go
if [[ ! -x "$go_bin" ]]; then
  log "no Go toolchain: 'go' is not in PATH and $go_bin does not exist (set GO=/path/to/go)"
  exit 1
fi

mkdir -p "$cache_root"
# One build per cache at a time; a second caller waits here and then reuses the result.
exec 9>"$cache_root/build.lock"
if ! flock -n 9; then
  log "another build holds $cache_root/build.lock; waiting for it"
  flock 9
fi
if complete; then
  log "reusing $bin_dir (built by another process)"
  echo "$bin_dir"
  exit 0
fi

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

tmp="$(mktemp -d "$cache_root/.build-$pin_hash.XXXXXX")"
trap 'rm -rf "$tmp"' EXIT

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
chmod 755 "$tmp"
{
  echo "kubernetes $k8s_version"
  echo "etcd $etcd_version"
  echo "go $("$go_bin" env GOVERSION)"
  echo "built $build_date"
  echo "pin $pin_hash"
} >"$tmp/VERSIONS"

rm -rf "$bin_dir"
mv "$tmp" "$bin_dir"
trap - EXIT
log "compiled and linked in $((t2 - t1))s (total $((t2 - t0))s)"
echo "$bin_dir"
