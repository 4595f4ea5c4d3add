#!/usr/bin/env bash
# Installs what a fresh machine lacks for the demo and the tests: Debian packages (for the tests also prometheus,
# prometheus-alertmanager and chromium), npm dependencies,
# the build, the cached lab image and (unless --no-lodestar: the lab alone) the real Lodestar 1.5.1 the demo and the tests run.
# Idempotent: a second run takes seconds. Needs root (the lab boots systemd-nspawn containers).
# --deps-only: npm dependencies and the build, nothing else (what lint and the unit tests need; no root).
set -euo pipefail
cd "$(dirname "$0")/../.."
mode=${1:-}

npm_deps() {
  # npm ci only when the lock file changed since the last install (npm ci builds too: the prepare script).
  local stamp=node_modules/.nodeform-lock-sha want
  want=$(sha256sum package-lock.json | cut -c1-64)
  if [ ! -f "$stamp" ] || [ "$(cat "$stamp")" != "$want" ]; then
    echo "setup: npm ci"
    npm ci --no-audit --no-fund --loglevel=error
    echo "$want" > "$stamp"
  else
    npm run --silent build
  fi
}
if [ "$mode" = --deps-only ]; then npm_deps; exit 0; fi

if [ "$(id -u)" != 0 ]; then echo "setup: run as root (the lab boots containers with systemd-nspawn)" >&2; exit 1; fi

packages=(debootstrap systemd-container openssh-server openssh-client iproute2 util-linux procps ca-certificates)
# The tests also check monitoring with Debian's real promtool and Alertmanager, HTML reports in headless Chromium, and status --watch in tmux.
[ "$mode" = --no-lodestar ] || packages+=(prometheus prometheus-alertmanager chromium tmux)
missing=()
for p in "${packages[@]}"; do dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p"); done
if [ ${#missing[@]} -gt 0 ]; then
  echo "setup: apt-get install ${missing[*]}"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

npm_deps
bash test/lab/build-image.sh "${NODEFORM_LAB_CACHE:-/var/cache/nodeform-lab}" >/dev/null
# The real Lodestar 1.5.1 the demo and the tests run (npm, ~240 MB, once).
[ "$mode" = --no-lodestar ] || bash test/lab/lodestar.sh "${NODEFORM_LAB_CACHE:-/var/cache/nodeform-lab}" >/dev/null
