#!/usr/bin/env bash
# Installs (once) the real Lodestar 1.5.1 from npm into CACHE_DIR/lodestar-1.5.1, outside the repo, from the
# pinned package.json and package-lock.json of the lodestar-lab reference (../shared/reference/lodestar-lab,
# or $NODEFORM_SHARED/reference/lodestar-lab). Usage: lodestar.sh CACHE_DIR -> prints the install dir.
# Reinstalls only when the reference's lock file changes. `npm ci` takes 1.5-3 minutes and 240 MB.
set -euo pipefail
cache=${1:?usage: lodestar.sh CACHE_DIR}
repo=$(cd "$(dirname "$0")/../.." && pwd)
shared=${NODEFORM_SHARED:-$repo/../shared}
ref="$shared/reference/lodestar-lab"
if [ ! -f "$ref/package.json" ] || [ ! -f "$ref/package-lock.json" ]; then
  echo "lodestar: no package.json and package-lock.json in $ref: the lodestar-lab reference is missing (set NODEFORM_SHARED to the folder holding reference/lodestar-lab)" >&2
  exit 1
fi
dir="$cache/lodestar-1.5.1"
want=$(sha256sum "$ref/package-lock.json" | cut -c1-64)
stamp="$dir/.nodeform-lock-sha"
if [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$want" ]; then echo "$dir"; exit 0; fi
mkdir -p "$cache"
# Parallel callers wait for one install.
exec 9>"$cache/.lodestar.lock"
flock 9
if [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$want" ]; then echo "$dir"; exit 0; fi
echo "lodestar: npm ci of Lodestar 1.5.1 into $dir (1.5-3 minutes)" >&2
tmp="$dir.tmp.$$"
rm -rf "$tmp"
mkdir -p "$tmp"
cp "$ref/package.json" "$ref/package-lock.json" "$tmp/"
chmod u+w "$tmp/package.json" "$tmp/package-lock.json"
(cd "$tmp" && npm ci --no-audit --no-fund --loglevel=error) >"$cache/lodestar-npm.log" 2>&1 || {
  echo "lodestar: npm ci failed; log: $cache/lodestar-npm.log" >&2; tail -20 "$cache/lodestar-npm.log" >&2; rm -rf "$tmp"; exit 1; }
[ -f "$tmp/node_modules/@chainsafe/lodestar/package.json" ] || { echo "lodestar: npm ci did not install @chainsafe/lodestar" >&2; exit 1; }
echo "$want" > "$tmp/.nodeform-lock-sha"
rm -rf "$dir"
mv "$tmp" "$dir"
echo "$dir"
