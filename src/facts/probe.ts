// Builds the one script that gathers every fact a plan needs from a host, in one exec.
// Pure: the script is data; gather.ts runs it. The host needs POSIX sh and awk, coreutils, findutils (find, xargs -d) and systemctl.

import { UNIT_DIR } from '../model/types.js';
import { quote } from '../shell/quote.js';
import { NAMES_SH, STATE_SH } from './applied.js';
import { KEY_SH } from './key.js';
import { HELD_SH, MISSING, NONE, PRESENT, RECORDS, SECRET_FLAG, STAT_FORMAT, printLine, printMissing, printRecord, printRecordStart } from './records.js';

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
  /**
   * How long to wait, before reading anything, for another run that holds the host lock (its holder alive) to
   * end: a plan read while an apply runs would show its changes half made. Still held then, the probe reads
   * anyway and says who holds it (Facts.record.lock). Absent: 0, no wait.
   */
  lockWaitSeconds?: number;
}

/**
 * The probe's exit code when another run took the host lock while it read (or opened a generation meanwhile):
 * gather.ts reads again, after waiting for that run.
 */
export const PROBE_OVERLAPPED = 75;

/** Largest file whose current bytes the probe returns for a diff. */
export const DIFF_CONTENT_LIMIT = 64 * 1024;

// Record lines (records.ts) are tab-separated; every name and path was validated to hold no tab or newline.
// Forks on the host are the probe's cost (at 100 hosts the hosts' CPU is the controller's, in the lab, and a
// busy node's elsewhere), and every step is linear in the paths: the controller sends each path, unit and user
// once; one awk merges them with the host's record (first request of a path counts) into one list; one stat (links
// not followed) notes each path's type; then one stat, one sha256sum and one cat (the bytes of every small file
// that differs, for the diffs) cover them all, through xargs, and one systemctl show every unit. awk joins the
// lists by path: sh's read builtin takes one byte per system call, and no list of paths goes through it.
// Output: `P path type` (or `P path missing`), then `S mode owner group size path` from stat and
// `H sha path` (or `H - path`, not hashed) for files, `K path before after` for secrets, and for the diffs
// `Z size path` per file then one `B base64` of those files' bytes one after the other; parse.ts joins them by path.
// A secret's plain sha256 stays in the process (a short password is guessable from it): what a plan shows and saves is
// its digest under a key only the host has, sha256(KEY || sha256 hex), made from the hashes the probe has anyway.
const [sizeField, pathField] = RECORDS.stat.fields.slice(-2);
if (sizeField !== 'size' || pathField !== 'path') throw new Error('the probe reads a file size as the stat field before its path');

// stat names a file's owner and group itself, a passwd and a group lookup per file (about 7 us a file on a lab
// host); NAMES_SH's names looks each id up once, for a fixed cost (an awk and a getent per id through sh, about
// 4 ms more). From this many paths on, where that pays, hs() has stat print ids and names them (the same lines).
const NAMES_FROM = 640;
const [, ownerField, groupField] = RECORDS.stat.fields;
if (ownerField !== 'owner' || groupField !== 'group') throw new Error('the probe names the owner and group of a stat line as its third and fourth fields');
const STAT_IDS = STAT_FORMAT.replace('%U', '%u').replace('%G', '%g');

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
S=$1 MODE=$2 WAIT=${'$'}{3:-0}
TAB='${'\t'}'
NL='
'
KEY=
${HELD_SH}
# Before anything is read: another run's apply ends first (up to WAIT s, in fifths of a second), or it is named.
boot= LOCKED= n=0
while held; do
  [ "$n" -lt $((WAIT * 5)) ] || { LOCKED=$l; break; }
  [ "$n" != 0 ] || ${printLine('lockWait', '"$l"')}
  sleep 0.2; n=$((n + 1))
done
lastgen() { G=; for d in "$S"/generations/*; do G=$d; done; } # the newest generation's directory, by a glob
lastgen; G0=$G
T=$(mktemp -d) || exit 1
trap 'rm -rf "$T"' EXIT
${KEY_SH}
${NAMES_SH}
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
note() { # every target of $T/list: a path's type from one lstat of them all (stat and hash come later, for all at once);
  # awk reads the lists (sh's read takes a byte per system call); users, groups, programs and a secret to create after
  awk -F "$TAB" '$1 == "p" { print $2 }' "$T/list" | xargs -d '\n' -r stat -c "%f$TAB%n" -- > "$T/types" 2>/dev/null
  # Files readable now (test -r), from one find.
  awk -F "$TAB" '$1 ~ /^8...$/ { print substr($0, length($1) + 2) }' "$T/types" | xargs -d '\n' -r sh -c 'exec find "$@" -maxdepth 0 -readable' sh > "$T/readable" 2>/dev/null
  D="$T" awk -F "$TAB" -v PT="${RECORDS.path.tag}" -v MISSING="${MISSING}" '
    BEGIN { D = ENVIRON["D"] }
    FILENAME == ARGV[1] { i = index($0, "\t"); c = substr($0, 1, 1); n = substr($0, i + 1)
      type[n] = (c == "a" && i == 5) ? "symlink" : (c == "8" && i == 5) ? "file" : (c == "4" && i == 5) ? "directory" : "other"; next }
    FILENAME == ARGV[2] { readable[$0] = 1; next }
    $1 == "p" {
      n = $2
      if (!(n in type)) { print PT "\t" n "\t" MISSING; if ($4 ~ /k/) print "k\t" n "\t" $3 > (D "/later"); next }
      t = type[n]; print PT "\t" n "\t" t; print n > (D "/stat"); nstat++
      h = 0 # 1: in the one sha256sum; b: hashed alone (sha256sum escapes a name with a backslash)
      if (t == "file" && (n in readable) && $4 !~ /n/) { if (index(n, "\\")) h = "b"; else { h = 1; print n > (D "/hash") } }
      print $3 "\t" $4 "\t" h "\t" n > (D "/meta"); next
    }
    $1 == "u" { print $2 > (D "/units"); next }
    $1 == "w" || $1 == "g" || $1 == "v" { print $1 "\t" $2 > (D "/later") }
    END { printf "" > (D "/stat"); if (nstat >= ${NAMES_FROM}) printf "" > (D "/stat.ids"); printf "" > (D "/hash"); printf "" > (D "/meta"); printf "" > (D "/units"); printf "" > (D "/later") }' "$T/types" "$T/readable" "$T/list" || exit 1
  while IFS="$TAB" read -r k n want; do
    case $k in
      k) kd "$n" - "$want" ;; # a secret to create: the digest of its wanted content
      w) w "$n" ;;
      g) g "$n" ;;
      v) v "$n" ;;
    esac
  done < "$T/later"
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
hs() { # one stat and one sha256sum for every path noted, joined with the noted list by path in one awk (a path gone
  # since has no line); a secret's digests and a name with a backslash after, in sh; then the bytes of small files that differ
  if [ -f "$T/stat.ids" ]; then xargs -d '\n' -r stat -c "${STAT_IDS}" -- < "$T/stat" 2>/dev/null | names > "$T/stat.out"
  else xargs -d '\n' -r stat -c "${STAT_FORMAT}" -- < "$T/stat" > "$T/stat.out" 2>/dev/null; fi
  xargs -d '\n' -r sha256sum -- < "$T/hash" > "$T/hash.out" 2>/dev/null
  cat "$T/stat.out"
  : > "$T/cat"
  D="$T" awk -F "$TAB" -v HT="${RECORDS.hash.tag}" -v ZT="${RECORDS.sized.tag}" '
    BEGIN { D = ENVIRON["D"] }
    FILENAME == ARGV[1] { size[$NF] = $(NF - 1); next }
    FILENAME == ARGV[2] { h[substr($0, 67)] = substr($0, 1, 64); next }
    {
      n = $4; sz = (n in size) ? size[n] : "-"
      if ($3 == "0") next
      hv = ($3 == "1" && (n in h)) ? h[n] : "-"
      if ($3 == "b" || $2 ~ /k/) { print $1 "\t" $2 "\t" $3 "\t" hv "\t" sz "\t" n > (D "/slow"); next }
      print HT "\t" hv "\t" n
      if ($2 ~ /c/ && $1 != "-" && hv != "-" && $1 != hv && sz != "-" && sz + 0 <= ${DIFF_CONTENT_LIMIT}) { print ZT "\t" sz "\t" n; print n > (D "/cat") }
    }
    END { printf "" > (D "/slow") }' "$T/stat.out" "$T/hash.out" "$T/meta" || exit 1
  while IFS="$TAB" read -r want flags how h size n; do
    [ "$how" != b ] || h=$(sha256sum < "$n" | cut -c1-64) || h=-
    ${printRecord('hash', '"$h"', '"$n"')}
    case $flags in *k*) kd "$n" "$h" "$want" ;; esac
    case $flags in
      *c*) if [ "$want" != - ] && [ "$h" != - ] && [ "$want" != "$h" ] && [ "$size" != - ] && [ "$size" -le ${DIFF_CONTENT_LIMIT} ]; then
          ${printRecord('sized', '"$size"', '"$n"')}; printf '%s\n' "$n" >> "$T/cat"
        fi ;;
    esac
  done < "$T/slow"
  if [ -s "$T/cat" ]; then ${printRecordStart('bytes')}; xargs -d '\n' -r cat -- < "$T/cat" | base64 -w0; printf '\n'; fi
}
gone() { # the originals a removal needs: each in a file named by the sha256 of its kind and target, or a line of a
  # pack (STATE/original/*.pack, by kind and target), see apply/script.ts rec
  [ -s "$T/gone" ] || return 0
  mkdir "$T/k" && i=0
  while IFS= read -r l; do i=$((i + 1)); printf '%s\n' "$l" > "$T/k/$i"; done < "$T/gone"
  ( cd "$T/k" && seq 1 "$i" | xargs -r sha256sum -- ) | while read -r o x; do
    [ -f "$S/original/$o" ] || continue
    IFS= read -r l < "$S/original/$o"; ${printLine('original', '"$l"')}
  done
  [ ! -d "$S/original" ] || find "$S/original" -maxdepth 1 -type f -name '*.pack' -exec awk -F "$TAB" -v OT="${RECORDS.original.tag}" '
    FILENAME == ARGV[1] { want[$1 "\t" $2] = 1; next }
    { k = $1 "\t" $2 } k in want { delete want[k]; print OT "\t" $0 }' "$T/gone" {} +
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
[ -z "$LOCKED" ] || ${printLine('lock', '"$LOCKED"')}
note
q > "$T/units.out" &
hs
wait
cat "$T/units.out"
# A run that took the lock while this read (or took it and was done): what was read may hold half its changes.
if [ -z "$LOCKED" ]; then lastgen; if held || [ "$G" != "$G0" ]; then exit ${PROBE_OVERLAPPED}; fi; fi
${printRecord('end')}
`;

// What changed on the host since the last generation, outside nodeform: STATE/applied against the host now
// (facts/applied.ts). Both sorted together; what only one side has comes back, hashes masked.
const APPLIED = String.raw`
${STATE_SH}
if [ -f "$S/applied" ]; then
  { IFS="$TAB" read -r t id fin; [ "$t" = G ] || id=-; ${printRecord('appliedGeneration', '"$id"', `"${'$'}{fin:--}"`)}; } < "$S/applied"
  dh=$(awk '/^H\t/ { i = index($0, "\t"); l = substr($0, i + 1); print substr(l, index(l, "\t") + 1) }' "$S/applied")
  {
    awk '/^[SHUW]\t/ { print "R\t" $0 }' "$S/applied"
    st "$dh" | awk '{ print "L\t" $0 }'
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
  return { command: `sh -s -- ${quote(request.stateDir)} ${request.record ?? 'current'} ${request.lockWaitSeconds ?? 0}`, script };
}
