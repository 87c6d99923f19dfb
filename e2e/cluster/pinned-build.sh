# Shared steps of the pinned Go builds (e2e/cluster/build.sh, deploy/build-helm.sh), sourced by them:
# a cache directory per pin (hash of go.mod + go.sum), reuse when complete, one build at a time per cache,
# and an atomic move of the finished directory into place.
#
#   pinned_build_init NAME DIR LOG_PREFIX   sets cache_root, pin_hash, bin_dir, go_bin; defines log
#   pinned_build_lock COMPLETE RESULT       waits for another build; exits 0 printing RESULT when COMPLETE succeeds
#   pinned_build_tmp                        sets tmp (removed on exit unless pinned_build_finish ran)
#   pinned_build_finish                     moves tmp to bin_dir
# Environment: NHI_CACHE_DIR (cache root), GO (go binary; default: go in PATH, else /usr/local/go/bin/go).

pinned_build_init() {
  local name="$1" dir="$2"
  _pinned_prefix="$3"
  cache_root="${NHI_CACHE_DIR:-${HOME}/.cache/nhi}/$name"
  pin_hash="$(cat "$dir/go.mod" "$dir/go.sum" | sha256sum | cut -c1-16)"
  bin_dir="$cache_root/bin-$pin_hash"
}

log() { printf '%s: %s\n' "$_pinned_prefix" "$*" >&2; }

pinned_build_go() {
  go_bin="${GO:-$(command -v go || true)}"
  [[ -n "$go_bin" ]] || go_bin=/usr/local/go/bin/go
  if [[ ! -x "$go_bin" ]]; then
    log "no Go toolchain: 'go' is not in PATH and $go_bin does not exist (set GO=/path/to/go)"
    exit 1
  fi
}

pinned_build_lock() {
  local complete="$1" result="$2"
  mkdir -p "$cache_root"
  # One build per cache at a time; a second caller waits here and then reuses the result.
  exec 9>"$cache_root/build.lock"
  if ! flock -n 9; then
    log "another build holds $cache_root/build.lock; waiting for it"
    flock 9
  fi
  if "$complete"; then
    log "reusing $bin_dir (built by another process)"
    echo "$result"
    exit 0
  fi
}

pinned_build_tmp() {
  tmp="$(mktemp -d "$cache_root/.build-$pin_hash.XXXXXX")"
  trap 'rm -rf "$tmp"' EXIT
}

pinned_build_finish() {
  chmod 755 "$tmp"
  rm -rf "$bin_dir"
  mv "$tmp" "$bin_dir"
  trap - EXIT
}
