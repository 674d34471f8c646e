#!/usr/bin/env bash
# Builds the mediasoup worker of the installed mediasoup package once and caches the binary outside
# the clone, keyed by mediasoup version, then links it where mediasoup looks for it at run time.
# Works around two problems of mediasoup 3.8.4's age on current Debian (see ../shared/ENVIRONMENT.md):
#   1. its vendored gyp imports collections.MutableSet & co., removed in Python 3.10;
#   2. its vendored abseil uses SIGSTKSZ as a constant, which glibc 2.34+ no longer is.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
pkg="$root/node_modules/mediasoup"
version=$(node -p "require('$pkg/package.json').version")
cache="${VIGIE_CACHE_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/vigie}"
bin="$cache/mediasoup-worker-$version"
target="$pkg/worker/out/Release/mediasoup-worker"

if [[ ! -x "$bin" ]]; then
  echo "  building mediasoup-worker $version (about 4 minutes on 2 cores; cached at $bin afterwards)"
  shim=$(mktemp -d)
  trap 'rm -rf "$shim"' EXIT
  cat > "$shim/sitecustomize.py" <<'PY'
import collections, collections.abc
for name in ("MutableSet", "Mapping", "MutableMapping", "Sequence", "Iterable", "Callable"):
    if not hasattr(collections, name):
        setattr(collections, name, getattr(collections.abc, name))
PY
  cat > "$shim/sigstksz.h" <<'H'
#include <signal.h>
#undef SIGSTKSZ
#define SIGSTKSZ 16384
H
  log="$cache/mediasoup-worker-$version.build.log"
  mkdir -p "$cache"
  if ! (cd "$pkg/worker" && env -u MEDIASOUP_WORKER_BIN PYTHON=python3 PYTHONPATH="$shim" \
        CXXFLAGS="-include $shim/sigstksz.h" make > "$log" 2>&1); then
    tail -n 30 "$log" >&2
    echo "mediasoup-worker build failed; full log: $log" >&2
    exit 1
  fi
  cp "$target" "$bin.tmp" && mv "$bin.tmp" "$bin"
  rm -rf "$pkg/worker/out"
fi
mkdir -p "$(dirname "$target")"
ln -sf "$bin" "$target"
echo "  mediasoup-worker $version: $bin"
