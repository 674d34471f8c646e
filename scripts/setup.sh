#!/usr/bin/env bash
# Installs everything Vigie needs on Debian/Ubuntu, idempotently: system packages, npm packages and the
# mediasoup worker (built once, cached outside the clone). Safe to run again; fast when nothing changed.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"

APT_PACKAGES=(influxdb influxdb-client chromium chromium-headless-shell ffmpeg openssl mosquitto)
cache="${VIGIE_CACHE_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/vigie}"
step=0
total=4
say() { step=$((step + 1)); printf '\n[%d/%d] %s\n' "$step" "$total" "$*"; }
die() { printf '\nsetup stopped: %s\n' "$*" >&2; exit 1; }

say "Node.js"
node -e 'const [a,b]=process.versions.node.split(".").map(Number); process.exit(a>20||(a===20&&b>=19)?0:1)' \
  || die "Node.js >= 20.19 is required (found $(node --version 2>/dev/null || echo none)). Install it from your distribution or nodejs.org, then run this again."
echo "  node $(node --version), npm $(npm --version 2>/dev/null)"

say "System packages: ${APT_PACKAGES[*]}"
missing=()
for p in "${APT_PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
if [[ ${#missing[@]} -eq 0 ]]; then
  echo "  already installed"
else
  echo "  installing: ${missing[*]}"
  if ! command -v apt-get >/dev/null; then
    die "this is not a Debian/Ubuntu system. Install by hand: InfluxDB 1.x (influxd and the influx CLI), Chromium and ffmpeg (for benchmarks), then run this again."
  fi
  sudo=()
  if [[ $(id -u) -ne 0 ]]; then
    command -v sudo >/dev/null || die "installing packages needs root. Run as root: apt-get install -y ${missing[*]}"
    sudo=(sudo -n)
  fi
  export DEBIAN_FRONTEND=noninteractive
  if ! { "${sudo[@]}" apt-get update -qq && "${sudo[@]}" apt-get install -y -qq "${missing[@]}" >/tmp/vigie-apt.log 2>&1; }; then
    tail -n 20 /tmp/vigie-apt.log >&2 || true
    die "could not install ${missing[*]}. Install them by hand (as root: apt-get install -y ${missing[*]}), then run this again."
  fi
  echo "  installed"
fi

say "npm packages"
# mediasoup 3.8.4 would build its worker in postinstall; we build it ourselves below (and cache it).
export MEDIASOUP_WORKER_BIN="$cache/mediasoup-worker-skip-postinstall"
stamp=node_modules/.vigie-setup
want=$(sha256sum package-lock.json | cut -d' ' -f1)
if [[ -f $stamp && $(cat "$stamp") == "$want" ]]; then
  echo "  up to date"
else
  npm ci --no-audit --no-fund --loglevel=error
  echo "$want" > "$stamp"
fi
unset MEDIASOUP_WORKER_BIN

say "mediasoup worker"
bash scripts/build-mediasoup-worker.sh
printf '\nsetup complete\n'
