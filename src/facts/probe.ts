// Builds the one script that gathers every fact a plan needs from a host, in one exec.
// Pure: the script is data; gather.ts runs it. The host needs POSIX sh and awk, coreutils, findutils (find, xargs -d) and systemctl.

import { UNIT_DIR } from '../model/types.js';
import { quote } from '../shell/quote.js';
import { STATE_SH } from './applied.js';
import { KEY_SH } from './key.js';
import { MISSING, NONE, PRESENT, RECORDS, SECRET_FLAG, STAT_FORMAT, printLine, printMissing, printRecord, printRecordStart } from './records.js';

export interface ProbeRequest {
  stateDir: string;
  /**
   * Paths to stat. wantSha: the declared sha256; when the file differs and is small, its bytes come back
   * for a diff. noHash: a secret made on the host, never read (not even hashed). secret: its digests keyed with
   * the host's key come back too (records.ts `keyed`), for what the plan shows and saves.
   */
  paths: { path: string; wantSha?: string; wantContent: boolean; noHash?: boolean; secret?: boolean }[];
  units: string[];
  users: string[];
  /** Programs to look for, and ask for their version. */
  binaries?: string[];
  /** Compare STATE/applied (what the last generation left, apply/script.ts) with the host now: nodeform drift. */
  applied?: boolean;
  /**
   * How much of the host's record to read. `current` (a plan): the managed list, the generations' summaries,
   * the lock, and the originals of only what is managed and no longer declared (what a removal needs), so a plan
   * costs what is declared now plus what must go, however much was ever managed. `all` (reset, rollback,
   * history): every original and the last generation's entries and managed list too, each target looked at.
   */
  record?: 'current' | 'all';
}

/** Largest file whose current bytes the probe returns for a diff. */
export const DIFF_CONTENT_LIMIT = 64 * 1024;

// Record lines (records.ts) are tab-separated; every name and path was validated to hold no tab or newline.
// Forks on the host are the probe's cost (at 100 hosts the hosts' CPU is the controller's, in the lab, and a
// busy node's elsewhere), and every step is linear in the paths: the controller sends each path, unit and user
// once; one awk merges them with the host's record (first request of a path counts) into one list; a loop of
// shell builtins notes each path's type; then one stat, one sha256sum and one cat (the bytes of every small file
// that differs, for the diffs) cover them all, through xargs, and one systemctl show every unit.
// Output: `P path type` (or `P path missing`), then `S mode owner group size path` from stat and
// `H sha path` (or `H - path`, not hashed) for files, `K path before after` for secrets, and for the diffs
// `Z size path` per file then one `B base64` of those files' bytes one after the other; parse.ts joins them by path.
// A secret's plain sha256 stays in the process (a short password is guessable from it): what a plan shows and saves is
// its digest under a key only the host has, sha256(KEY || sha256 hex), made from the hashes the probe has anyway.
const [sizeField, pathField] = RECORDS.stat.fields.slice(-2);
if (sizeField !== 'size' || pathField !== 'path') throw new Error('the probe reads a file size as the stat field before its path');

const U = UNIT_DIR;
const F = SECRET_FLAG;

// The merge: stdin holds sections, each opened by a line `@NAME`: `declared` (lines `p path want flags`, `u unit`,
// `w user`, `v program` from the controller, each once), `managed` (the managed list), `original`, `entries` and
// `before` (the last generation's entries and managed list). flags: c (bytes wanted for a diff), k (a secret:
// keyed digests), n (made on the host: never hashed), - (none; no field is ever empty: sh's read joins tabs). Record lines are printed as records (M, O, E, Q); every
// target is written once to $T/list (`p path want flags`, `u unit`, `w user`, `g group`, `v program`); with
// MODE current, what is managed and not declared goes to $T/gone (`kind TAB target`, whose originals a removal needs).
const MERGE = String.raw`BEGIN { FS = "\t"; OFS = "\t"; L = T "/list"; G = T "/gone" }
/^@/ { sec = substr($0, 2); next }
function path(n, want, flags) { if (!(n in seen)) { seen[n] = 1; print "p", n, want, flags > L } }
function unit(n) { if (!(n in units)) { units[n] = 1; print "u", n > L; path("${U}/" n, "-", "-") } }
function user(n) { if (!(n in users)) { users[n] = 1; print "w", n > L } }
function target(k, n, secret) {
  if (k == "file") path(n, "-", secret ? "k" : "-")
  else if (k == "directory") path(n, "-", "-")
  else if (k == "unit") unit(n)
  else if (k == "user") user(n)
  else if (k == "group" && !(n in groups)) { groups[n] = 1; print "g", n > L }
}
sec == "declared" {
  if ($1 == "p") { declared[$2] = 1; path($2, $3, $4) }
  else if ($1 == "u") { declared["unit:" $2] = 1; unit($2) }
  else if ($1 == "w") { declared["user:" $2] = 1; user($2) }
  else if ($1 == "v") print "v", $2 > L
  next
}
sec == "managed" {
  print "${RECORDS.managed.tag}", $0
  target($1, $2, $1 == "file" && $3 == "${F}")
  key = ($1 == "unit" || $1 == "user") ? $1 ":" $2 : $2
  if (MODE == "current" && !(key in declared)) print $1, $2 > G
  next
}
sec == "original" { print "${RECORDS.original.tag}", $0; target($1, $2, $1 == "file" && $10 == "${F}"); next }
sec == "entries" { print "${RECORDS.lastEntry.tag}", $0; target($1, $2, $1 == "file" && $10 == "${F}"); next }
sec == "before" { print "${RECORDS.managedBefore.tag}", $0; next }
END { printf "" > L; printf "" > G }`;

const PRELUDE = String.raw`set -u
S=$1 MODE=$2
TAB='${'\t'}'
NL='
'
KEY=
T=$(mktemp -d) || exit 1
trap 'rm -rf "$T"' EXIT
${KEY_SH}
kd() { # path live-sha want-sha: a secret's digests under the host's key (key.ts); - without a key or a sha
  b=- a=-
  [ "$2" = - ] || { keyed "$2"; b=$D; }
  if [ "$3" = "$2" ]; then a=$b; elif [ "$3" != - ]; then keyed "$3"; a=$D; fi # as wanted: one digest serves
  ${printRecord('keyed', '"$1"', '"$b"', '"$a"')}
}
w() {
  if l=$(getent passwd "$1"); then
    ${printRecord('user', '"$1"', '"$l"', '"$(id -gn -- "$1")"', `"$(id -Gn -- "$1" | tr ' ' ,)"`)}
  else ${printMissing('user', '"$1"')}; fi
}
g() {
  if getent group "$1" >/dev/null; then ${printRecord('group', '"$1"', PRESENT)}; else ${printRecord('group', '"$1"', MISSING)}; fi
}
v() { # a program: present and executable, and the first lines of its --version (bounded in time)
  if [ -x "$1" ] && [ -f "$1" ]; then
    o=$(timeout 20 "$1" --version 2>&1 | head -n 3 | tr '\t\n' '  ')
    ${printRecord('binary', '"$1"', PRESENT, '"$o"')}
  else ${printMissing('binary', '"$1"')}; fi
}
note() { # every target of $T/list: a path's type by builtins (stat and hash come later, for all at once)
  exec 3> "$T/stat" 4> "$T/hash" 5> "$T/meta" 6> "$T/units"
  while IFS="$TAB" read -r k n want flags; do
    case $k in
      p)
        if [ -L "$n" ]; then t=symlink; elif [ -f "$n" ]; then t=file; elif [ -d "$n" ]; then t=directory
        elif [ -e "$n" ]; then t=other; else
          ${printRecord('path', '"$n"', MISSING)}
          case $flags in *k*) kd "$n" - "$want" ;; esac # a secret to create: the digest of its wanted content
          continue
        fi
        ${printRecord('path', '"$n"', '"$t"')}
        printf '%s\n' "$n" >&3
        h=0 # 1: in the one sha256sum; b: hashed alone (sha256sum escapes a name with a backslash)
        if [ "$t" = file ] && [ -r "$n" ]; then case $flags in *n*) ;; *) case $n in *\\*) h=b ;; *) h=1; printf '%s\n' "$n" >&4 ;; esac ;; esac; fi
        printf '%s\t%s\t%s\t%s\n' "$want" "$flags" "$h" "$n" >&5 ;;
      u) printf '%s\n' "$n" >&6 ;;
      w) w "$n" ;;
      g) g "$n" ;;
      v) v "$n" ;;
    esac
  done < "$T/list"
  exec 3>&- 4>&- 5>&- 6>&-
}
q() { # every unit's state from ONE systemctl call (a process costs the host ~12 ms of CPU): blocks of
  # properties in argument order, separated by blank lines; named as is-enabled and is-active name them
  [ -s "$T/units" ] || return 0
  set -f; IFS=$NL
  set -- $(cat "$T/units")
  IFS=' 	
'
  systemctl show -p LoadState -p UnitFileState -p ActiveState -- "$@" 2>/dev/null | {
    e= a= seen=0
    while :; do
      IFS= read -r l || l=END
      case $l in
        UnitFileState=*) e=${'$'}{l#*=}; seen=1 ;;
        ActiveState=*) a=${'$'}{l#*=}; seen=1 ;;
        LoadState=*) seen=1 ;;
        ''|END)
          if [ "$seen" = 1 ] && [ $# -gt 0 ]; then
            ${printRecord('unit', '"$1"', `"${'$'}{e:-not-found}"`, `"${'$'}{a:-unknown}"`)}; shift
          fi
          e= a= seen=0
          [ "$l" != END ] || break ;;
      esac
    done
    for n in "$@"; do ${printRecord('unit', '"$n"', 'not-found', 'unknown')}; done # no answer from systemd
  }
}
hs() { # one stat and one sha256sum for every path noted, read in step with the noted list (a path gone since
  # has no line: a line that names another path belongs to a later one); then the bytes of small files that differ
  xargs -d '\n' -r stat -c "${STAT_FORMAT}" -- < "$T/stat" > "$T/stat.out" 2>/dev/null
  xargs -d '\n' -r sha256sum -- < "$T/hash" > "$T/hash.out" 2>/dev/null
  cat "$T/stat.out"
  : > "$T/cat"
  exec 7< "$T/stat.out" 8< "$T/hash.out"
  sl= hl=
  while IFS="$TAB" read -r want flags how n; do
    [ -n "$sl" ] || IFS= read -r sl <&7 || sl=
    size=-; if [ "${'$'}{sl##*"$TAB"}" = "$n" ]; then r=${'$'}{sl%"$TAB"*}; size=${'$'}{r##*"$TAB"}; sl=; fi
    [ "$how" != 0 ] || continue
    h=-
    if [ "$how" = b ]; then h=$(sha256sum < "$n" | cut -c1-64) || h=-
    else
      [ -n "$hl" ] || IFS= read -r hl <&8 || hl=
      if [ "${'$'}{hl#*"  "}" = "$n" ]; then h=${'$'}{hl%%"  "*}; hl=; fi
    fi
    ${printRecord('hash', '"$h"', '"$n"')}
    case $flags in *k*) kd "$n" "$h" "$want" ;; esac
    case $flags in
      *c*) if [ "$want" != - ] && [ "$h" != - ] && [ "$want" != "$h" ] && [ "$size" != - ] && [ "$size" -le ${DIFF_CONTENT_LIMIT} ]; then
          ${printRecord('sized', '"$size"', '"$n"')}; printf '%s\n' "$n" >> "$T/cat"
        fi ;;
    esac
  done < "$T/meta"
  exec 7<&- 8<&-
  if [ -s "$T/cat" ]; then ${printRecordStart('bytes')}; xargs -d '\n' -r cat -- < "$T/cat" | base64 -w0; printf '\n'; fi
}
gone() { # the originals a removal needs: each named by the sha256 of its kind and target (apply/script.ts rec)
  [ -s "$T/gone" ] || return 0
  mkdir "$T/k" && i=0
  while IFS= read -r l; do i=$((i + 1)); printf '%s\n' "$l" > "$T/k/$i"; done < "$T/gone"
  ( cd "$T/k" && seq 1 "$i" | xargs -r sha256sum -- ) | while read -r o x; do
    [ -f "$S/original/$o" ] || continue
    IFS= read -r l < "$S/original/$o"; ${printLine('original', '"$l"')}
  done
}
`;

const EPILOGUE = String.raw`
{
  [ ! -f "$S/managed" ] || { echo @managed; cat "$S/managed"; }
  if [ "$MODE" = all ]; then
    [ ! -d "$S/original" ] || { echo @original; find "$S/original" -maxdepth 1 -type f ! -name '*.tmp' -exec cat -- {} +; }
    last=; for d in "$S"/generations/*; do [ -f "$d/meta" ] && last=$d; done
    if [ -n "$last" ]; then
      [ ! -f "$last/entries" ] || { echo @entries; cat "$last/entries"; }
      [ ! -f "$last/managed.before" ] || { echo @before; cat "$last/managed.before"; }
    fi
  fi
} | cat "$T/declared" - | awk -v T="$T" -v MODE="$MODE" "$MERGE" || exit 1
[ "$MODE" = all ] || gone
last=
for m in "$S"/generations/*/meta; do
  [ -f "$m" ] || continue
  IFS= read -r l < "$m"; ${printLine('generation', '"$l"')}; last=${'$'}{m%/meta}
done
[ -z "$last" ] || ${printRecord('lastGeneration', `"${'$'}{last##*/}"`)}
if [ -f "$S/lock/holder" ]; then IFS= read -r l < "$S/lock/holder"; ${printLine('lock', '"$l"')}; fi
note
q > "$T/units.out" &
hs
wait
cat "$T/units.out"
${printRecord('end')}
`;

// What changed on the host since the last generation, outside nodeform: STATE/applied against the host now
// (facts/applied.ts). Both sorted together; what only one side has comes back, hashes masked.
const APPLIED = String.raw`
${STATE_SH}
if [ -f "$S/applied" ]; then
  { IFS="$TAB" read -r t id fin; [ "$t" = G ] || id=-; ${printRecord('appliedGeneration', '"$id"', `"${'$'}{fin:--}"`)}; } < "$S/applied"
  dh=
  while IFS= read -r l; do case $l in "H$TAB"*) l=${'$'}{l#*"$TAB"}; dh="$dh$NL${'$'}{l#*"$TAB"}" ;; esac; done < "$S/applied"
  {
    while IFS= read -r l; do case $l in [SHUW]"$TAB"*) printf 'R\t%s\n' "$l" ;; esac; done < "$S/applied"
    st "$dh" | while IFS= read -r l; do printf 'L\t%s\n' "$l"; done
  } | LC_ALL=C sort -t "$TAB" -k2 | LC_ALL=C uniq -u -f1 | while IFS= read -r l; do
    case $l in
      ?"$TAB"H"$TAB"*) ${printRecord('applied', `"${'$'}{l%%"$TAB"*}"`, `"H$TAB-$TAB${'$'}{l#*"$TAB"H"$TAB"*"$TAB"}"`)} ;;
      *) ${printRecord('applied', `"${'$'}{l%%"$TAB"*}"`, `"${'$'}{l#*"$TAB"}"`)} ;;
    esac
  done
else ${printRecord('appliedGeneration', NONE, NONE)}; fi
`;

/**
 * The script's comments stay in this file: it crosses the wire on every plan. Only whole comment lines and
 * comments after whitespace go (no `#` in the script's strings follows whitespace; `$#` and `${x#y}` stay).
 */
const withoutComments = (script: string): string =>
  script
    .split('\n')
    .map((line) => line.replace(/(^|\s+)#.*$/, ''))
    .filter((line) => line.trim() !== '')
    .join('\n');
const PRELUDE_SENT = withoutComments(PRELUDE);
const EPILOGUE_SENT = withoutComments(EPILOGUE);
const APPLIED_SENT = withoutComments(APPLIED);

const EOF_MARK = 'NODEFORM_EOF';

/** The probe as one command line plus the script to feed on stdin. */
export function buildProbe(request: ProbeRequest): { command: string; script: string } {
  // Each path, unit and user once, in order; the first request of a path counts.
  const lines: string[] = ['@declared'];
  const paths = new Set<string>();
  for (const entry of request.paths) {
    if (paths.has(entry.path)) continue;
    paths.add(entry.path);
    // Never an empty field: read splits on runs of tabs.
    const flags = entry.noHash ? 'n' : `${entry.wantContent ? 'c' : ''}${entry.secret ? 'k' : ''}` || '-';
    lines.push(`p\t${entry.path}\t${entry.noHash ? '-' : (entry.wantSha ?? '-')}\t${flags}`);
  }
  for (const unit of new Set(request.units)) lines.push(`u\t${unit}`);
  for (const user of new Set(request.users)) lines.push(`w\t${user}`);
  for (const binary of request.binaries ?? []) lines.push(`v\t${binary}`);
  const script = [
    PRELUDE_SENT,
    `MERGE=${quote(MERGE)}`,
    `cat > "$T/declared" <<'${EOF_MARK}'`,
    ...lines,
    EOF_MARK,
    ...(request.applied ? [APPLIED_SENT] : []),
    EPILOGUE_SENT,
  ].join('\n');
  return { command: `sh -s -- ${quote(request.stateDir)} ${request.record ?? 'current'}`, script };
}
