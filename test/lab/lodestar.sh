#!/usr/bin/env bash
# Installs (once) the real Lodestar 1.5.1 from npm into CACHE_DIR/lodestar-1.5.1, outside the repo, from the
# recipe in test/lab/lodestar-recipe: a package.json whose npm overrides pin Lodestar's whole dependency tree
# (taken from Lodestar's own lock file at v1.5.1, so it installs from the registry alone) and its lock file.
# Usage: lodestar.sh CACHE_DIR -> prints the install dir. Reinstalls only when the lock file changes.
# `npm ci` takes 1.5-3 minutes and 240 MB.
set -euo pipefail
cache=${1:?usage: lodestar.sh CACHE_DIR}
repo=$(cd "$(dirname "$0")/../.." && pwd)
ref="$repo/test/lab/lodestar-recipe"
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
