// Builds the one script that gathers every fact a plan needs from a host, in one exec.
// Pure: the script is data; gather.ts runs it. The host needs only POSIX sh, coreutils and systemctl.

import { quote } from '../transport/quote.js';

export interface ProbeRequest {
  stateDir: string;
  /**
   * Paths to stat. wantSha: the declared sha256; when the file differs and is small, its bytes come back
   * for a diff. noHash: a secret made on the host, never read (not even hashed).
   */
  paths: { path: string; wantSha?: string; wantContent: boolean; noHash?: boolean }[];
  units: string[];
  users: string[];
  /** Programs to look for, and ask for their version. */
  binaries?: string[];
}

/** Largest file whose current bytes the probe returns for a diff. */
export const DIFF_CONTENT_LIMIT = 64 * 1024;

/** Directory under /etc where nodeform installs systemd units. */
export const UNIT_DIR = '/etc/systemd/system';

// Record lines are tab-separated; every name and path was validated to hold no tab or newline.
const PRELUDE = String.raw`set -u
S=$1
TAB=$(printf '\t')
SEEN='|'
p() {
  # Each path once: the first request (with its wantSha, or nohash for a host-made secret) is the one that counts.
  case $SEEN in *"|$1|"*) return 0 ;; esac
  SEEN="$SEEN$1|"
  if [ -L "$1" ]; then t=symlink; elif [ -f "$1" ]; then t=file; elif [ -d "$1" ]; then t=directory
  elif [ -e "$1" ]; then t=other; else printf 'P\t%s\tmissing\n' "$1"; return 0; fi
  st=$(stat -c '%a %U %G %s' -- "$1") || return 0
  set -- "$1" "$2" "$3" "$t" $st
  h=-
  [ "$4" = file ] && [ "$2" != nohash ] && [ -r "$1" ] && h=$(sha256sum < "$1" | cut -c1-64)
  printf 'P\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$1" "$4" "$5" "$6" "$7" "$8" "$h"
  if [ "$3" = 1 ] && [ "$4" = file ] && [ "$h" != "$2" ] && [ "$8" -le ${DIFF_CONTENT_LIMIT} ]; then
    printf 'C\t%s\t' "$1"; base64 -w0 < "$1"; printf '\n'
  fi
}
u() {
  e=$(systemctl is-enabled -- "$1" 2>/dev/null); [ -n "$e" ] || e=not-found
  a=$(systemctl is-active -- "$1" 2>/dev/null); [ -n "$a" ] || a=unknown
  printf 'U\t%s\t%s\t%s\n' "$1" "$e" "$a"
  p "${UNIT_DIR}/$1" - 0
}
w() {
  if l=$(getent passwd "$1"); then
    printf 'W\t%s\t%s\t%s\t%s\n' "$1" "$l" "$(id -gn -- "$1")" "$(id -Gn -- "$1" | tr ' ' ,)"
  else printf 'W\t%s\tmissing\n' "$1"; fi
}
v() { # a program: present and executable, and the first lines of its --version (bounded in time)
  if [ -x "$1" ] && [ -f "$1" ]; then
    o=$(timeout 20 "$1" --version 2>&1 | head -n 3 | tr '\t\n' '  ')
    printf 'V\t%s\tpresent\t%s\n' "$1" "$o"
  else printf 'V\t%s\tmissing\n' "$1"; fi
}
t() { # stat every target named on stdin (lines of kind TAB target ...)
  while IFS="$TAB" read -r k n rest; do
    case $k in file|directory) p "$n" - 0 ;; unit) u "$n" ;; user) w "$n" ;; esac
  done
}
`;

const EPILOGUE = String.raw`
if [ -f "$S/managed" ]; then while IFS= read -r l; do printf 'M\t%s\n' "$l"; done < "$S/managed"; t < "$S/managed"; fi
for f in "$S"/original/*; do
  [ -f "$f" ] || continue
  IFS= read -r l < "$f"; printf 'O\t%s\n' "$l"; t < "$f"
done
last=
for m in "$S"/generations/*/meta; do
  [ -f "$m" ] || continue
  IFS= read -r l < "$m"; printf 'G\t%s\n' "$l"; last=$(dirname "$m")
done
if [ -n "$last" ]; then
  printf 'X\t%s\n' "$(basename "$last")"
  if [ -f "$last/entries" ]; then while IFS= read -r l; do printf 'E\t%s\n' "$l"; done < "$last/entries"; t < "$last/entries"; fi
  if [ -f "$last/managed.before" ]; then while IFS= read -r l; do printf 'Q\t%s\n' "$l"; done < "$last/managed.before"; fi
fi
if [ -f "$S/lock/holder" ]; then IFS= read -r l < "$S/lock/holder"; printf 'L\t%s\n' "$l"; fi
printf 'END\n'
`;

/** The probe as one command line plus the script to feed on stdin. */
export function buildProbe(request: ProbeRequest): { command: string; script: string } {
  const lines = [PRELUDE];
  for (const entry of request.paths) {
    lines.push(`p ${quote(entry.path)} ${quote(entry.noHash ? 'nohash' : (entry.wantSha ?? '-'))} ${entry.wantContent ? 1 : 0}`);
  }
  for (const unit of request.units) lines.push(`u ${quote(unit)}`);
  for (const user of request.users) lines.push(`w ${quote(user)}`);
  for (const binary of request.binaries ?? []) lines.push(`v ${quote(binary)}`);
  lines.push(EPILOGUE);
  return { command: `sh -s -- ${quote(request.stateDir)}`, script: lines.join('\n') };
}
