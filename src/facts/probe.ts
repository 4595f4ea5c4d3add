// Builds the one script that gathers every fact a plan needs from a host, in one exec.
// Pure: the script is data; gather.ts runs it. The host needs only POSIX sh, coreutils and systemctl.

import { UNIT_DIR } from '../model/types.js';
import { quote } from '../shell/quote.js';
import { KEY_SH } from './key.js';
import { MISSING, PRESENT, RECORDS, SECRET_FLAG, STAT_FORMAT, printLine, printMissing, printRecord, printRecordStart } from './records.js';

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
}

/** Largest file whose current bytes the probe returns for a diff. */
export const DIFF_CONTENT_LIMIT = 64 * 1024;

/** Directory under /etc where nodeform installs systemd units. */

// Record lines (records.ts) are tab-separated; every name and path was validated to hold no tab or newline.
// Forks on the host are the probe's cost (at 100 hosts the hosts' CPU is the controller's, in the lab, and a
// busy node's elsewhere): every path is first only noted (shell builtins), then one stat and one sha256sum
// cover them all at the end, and each unit and user is asked about once however often it is named.
// Output: `P path type` (or `P path missing`), then `S mode owner group size path` from stat and
// `H sha path` (or `H - path`, not hashed) for files, and `K path before after` for secrets; parse.ts joins them by path.
// A secret's plain sha256 stays in the process (a short password is guessable from it): what a plan shows and saves is
// its digest under a key only the host has, sha256(KEY || sha256 hex), made from the hashes the probe has anyway.
// c() finds a file's size in the stat output as the field before its path.
const [sizeField, pathField] = RECORDS.stat.fields.slice(-2);
if (sizeField !== 'size' || pathField !== 'path') throw new Error('the probe reads a file size as the stat field before its path');

const PRELUDE = String.raw`set -u
S=$1
TAB='${'\t'}'
NL='
'
SEEN='|'
UNITS='|'
USERS='|'
GRPS='|'
SL=
HL=
WL=
UL=
KL=
KEY=
p() { # path want content [k]: note a path; the first request (with its wantSha, or nohash for a host-made secret) counts
  case $SEEN in *"|$1|"*) return 0 ;; esac
  SEEN="$SEEN$1|"
  if [ -L "$1" ]; then t=symlink; elif [ -f "$1" ]; then t=file; elif [ -d "$1" ]; then t=directory
  elif [ -e "$1" ]; then t=other; else
    ${printRecord('path', '"$1"', MISSING)}
    [ "${'$'}{4:-}" != k ] || KL="$KL$NL$2$TAB$1" # a secret to create: the digest of its wanted content
    return 0
  fi
  ${printRecord('path', '"$1"', '"$t"')}
  SL="$SL$NL$1"
  if [ "$t" = file ] && [ "$2" != nohash ] && [ -r "$1" ]; then
    WL="$WL$NL$2$TAB$3${'$'}{4:-}$TAB$1"
    case $1 in *\\*) ;; *) HL="$HL$NL$1" ;; esac # sha256sum escapes names with a backslash: those are hashed alone
  fi
}
u() {
  case $UNITS in *"|$1|"*) return 0 ;; esac
  UNITS="$UNITS$1|"
  UL="$UL$NL$1"
  p "${UNIT_DIR}/$1" - 0
}
w() {
  case $USERS in *"|$1|"*) return 0 ;; esac
  USERS="$USERS$1|"
  if l=$(getent passwd "$1"); then
    ${printRecord('user', '"$1"', '"$l"', '"$(id -gn -- "$1")"', `"$(id -Gn -- "$1" | tr ' ' ,)"`)}
  else ${printMissing('user', '"$1"')}; fi
}
g() {
  case $GRPS in *"|$1|"*) return 0 ;; esac
  GRPS="$GRPS$1|"
  if getent group "$1" >/dev/null; then ${printRecord('group', '"$1"', PRESENT)}; else ${printRecord('group', '"$1"', MISSING)}; fi
}
v() { # a program: present and executable, and the first lines of its --version (bounded in time)
  if [ -x "$1" ] && [ -f "$1" ]; then
    o=$(timeout 20 "$1" --version 2>&1 | head -n 3 | tr '\t\n' '  ')
    ${printRecord('binary', '"$1"', PRESENT, '"$o"')}
  else ${printMissing('binary', '"$1"')}; fi
}
t() { # note every target named on stdin (managed lines: kind TAB target [secret]; entries: ... field 10 secret for a file)
  while IFS="$TAB" read -r k n a b c d e f g h rest; do
    case $k in
      file) if [ "$a" = ${SECRET_FLAG} ] || [ "$h" = ${SECRET_FLAG} ]; then p "$n" - 0 k; else p "$n" - 0; fi ;; # a secret: keyed digests only
      directory) p "$n" - 0 ;; unit) u "$n" ;; user) w "$n" ;; group) g "$n" ;;
    esac
  done
}
${KEY_SH}
kd() { # path live-sha want-sha: a secret's digests under the host's key (key.ts); - without a key or a sha
  b=- a=-
  [ "$2" = - ] || { keyed "$2"; b=$D; }
  if [ "$3" = "$2" ]; then a=$b; elif [ "$3" != - ]; then keyed "$3"; a=$D; fi # as wanted: one digest serves
  ${printRecord('keyed', '"$1"', '"$b"', '"$a"')}
}
c() { # path want sha: a file's bytes for the diff, when they differ from the wanted ones and are small enough
  [ "$3" != - ] && [ "$3" != "$2" ] || return 0
  r=${'$'}{ST%%"$TAB$1$NL"*}
  [ "$r" != "$ST" ] || return 0
  [ "${'$'}{r##*"$TAB"}" -le ${DIFF_CONTENT_LIMIT} ] || return 0
  ${printRecordStart('content', '"$1"')}; base64 -w0 < "$1"; printf '\n'
}
q() { # every unit's state from ONE systemctl call (a process costs the host ~12 ms of CPU): blocks of
  # properties in argument order, separated by blank lines; named as is-enabled and is-active name them
  [ -n "$UL" ] || return 0
  set -- $UL
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
hs() { # one stat and one sha256sum for every path noted
  ST=
  [ -z "$SL" ] || ST="$(stat -c "${STAT_FORMAT}" -- $SL 2>/dev/null)$NL"
  printf '%s' "$ST"
  if [ -n "$HL" ]; then sha256sum -- $HL 2>/dev/null; fi | {
    l=
    for x in $WL; do
      want=${'$'}{x%%"$TAB"*}; x=${'$'}{x#*"$TAB"}; want_content=${'$'}{x%%"$TAB"*}; n=${'$'}{x#*"$TAB"}
      h=-
      case $n in
        *\\*) h=$(sha256sum < "$n" | cut -c1-64) || h=- ;;
        *) # sha256sum skips a file that went away: its line then belongs to a later path
          [ -n "$l" ] || IFS= read -r l || l=
          if [ "${'$'}{l#*"  "}" = "$n" ]; then h=${'$'}{l%%"  "*}; l=; fi ;;
      esac
      ${printRecord('hash', '"$h"', '"$n"')}
      case $want_content in *k) kd "$n" "$h" "$want" ;; esac
      case $want_content in 1*) c "$n" "$want" "$h" ;; esac
    done
    for x in $KL; do kd "${'$'}{x#*"$TAB"}" - "${'$'}{x%%"$TAB"*}"; done
  }
}
f() { # the noted paths and units, both at once: the unit states (systemctl) come through the pipe after hs's lines
  set -f
  IFS=$NL
  q | { hs; cat; }
  IFS=' 	
'
  set +f
}
`;

const EPILOGUE = String.raw`
if [ -f "$S/managed" ]; then while IFS= read -r l; do ${printLine('managed', '"$l"')}; done < "$S/managed"; t < "$S/managed"; fi
for o in "$S"/original/*; do
  [ -f "$o" ] || continue
  IFS= read -r l < "$o"; ${printLine('original', '"$l"')}; t < "$o"
done
last=
for m in "$S"/generations/*/meta; do
  [ -f "$m" ] || continue
  IFS= read -r l < "$m"; ${printLine('generation', '"$l"')}; last=${'$'}{m%/meta}
done
if [ -n "$last" ]; then
  ${printRecord('lastGeneration', `"${'$'}{last##*/}"`)}
  if [ -f "$last/entries" ]; then while IFS= read -r l; do ${printLine('lastEntry', '"$l"')}; done < "$last/entries"; t < "$last/entries"; fi
  if [ -f "$last/managed.before" ]; then while IFS= read -r l; do ${printLine('managedBefore', '"$l"')}; done < "$last/managed.before"; fi
fi
if [ -f "$S/lock/holder" ]; then IFS= read -r l < "$S/lock/holder"; ${printLine('lock', '"$l"')}; fi
f
${printRecord('end')}
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

/** The probe as one command line plus the script to feed on stdin. */
export function buildProbe(request: ProbeRequest): { command: string; script: string } {
  const lines = [PRELUDE_SENT];
  for (const entry of request.paths) {
    const secret = entry.secret && !entry.noHash ? ' k' : '';
    lines.push(`p ${quote(entry.path)} ${quote(entry.noHash ? 'nohash' : (entry.wantSha ?? '-'))} ${entry.wantContent ? 1 : 0}${secret}`);
  }
  for (const unit of request.units) lines.push(`u ${quote(unit)}`);
  for (const user of request.users) lines.push(`w ${quote(user)}`);
  for (const binary of request.binaries ?? []) lines.push(`v ${quote(binary)}`);
  lines.push(EPILOGUE_SENT);
  return { command: `sh -s -- ${quote(request.stateDir)}`, script: lines.join('\n') };
}
