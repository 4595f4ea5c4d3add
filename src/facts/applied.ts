// STATE/applied: what the last generation left on a host, and how nodeform drift compares the host with it. Pure.
//
// The apply script (apply/script.ts) ends every generation by writing STATE/applied: its first line
// `G ID FINISHED`, a line `N PATH` per file made on the host (never read, not even hashed), then the state of
// everything STATE/managed names, as STATE_SH's st() prints it: `S MODE OWNER GROUP PATH` (stat of each file,
// unit file and directory), `H SHA256 PATH` (each file and unit file there, but those made on the host),
// `U UNIT ENABLED ACTIVE` (systemctl's UnitFileState and ActiveState), `W USER present|missing`. One stat, one
// sha256sum and one systemctl for them all: the host's processes are the cost.
//
// The probe (ProbeRequest.applied) prints the same state of the host now (hashing exactly the paths recorded
// with a hash), and sorts both together: lines only one side has come back as `A R LINE` or `A L LINE`, with every
// hash replaced by `-` (no hash leaves the host, a secret's included). driftItems() reads those pairs.

import type { DriftItem, ManagedEntry } from '../model/types.js';
import { UNIT_DIR } from '../model/types.js';

/**
 * sh: names turns the lines `TAG MODE UID GID REST` that stat -c prints with %u and %g into the lines it prints with
 * %U and %G (owner and group names, UNKNOWN for an id without one): each id looked up once, by getent, the lookup
 * stat makes for every file, which over thousands of files costs more than the stat itself. (exec: the sh that awk runs
 * the command in becomes getent, one process a lookup, not two.)
 */
export const NAMES_SH = String.raw`# NAMES_AWK: names' program, for awk -F "$TAB" run as a pipeline's own element (a function there is one more process)
NAMES_AWK='function nm(db, id,  c, l, n) { c = "exec getent " db " " id; n = "UNKNOWN"; if ((c | getline l) > 0) n = substr(l, 1, index(l, ":") - 1); close(c); return n }
  { if (!($3 in u)) u[$3] = nm("passwd", $3); if (!($4 in g)) g[$4] = nm("group", $4)
    print $1 "\t" $2 "\t" u[$3] "\t" g[$4] "\t" substr($0, length($1 $2 $3 $4) + 5) }'
names() { awk -F "$TAB" "$NAMES_AWK"; } # stdin: TAG MODE UID GID REST; stdout: the same with the names of owner and group`;

/** sh: st HASHLIST prints the state of everything $S/managed names (needs S, TAB and NAMES_SH; HASHLIST newline-separated). */
export const STATE_SH = String.raw`NL='
'
st() { # the lists by awk and the records by one stat and one sha256sum: sh's read, a byte per system call, reads no list
  awk -F "$TAB" -v U="${UNIT_DIR}" '$1 == "file" || $1 == "directory" { print $2 } $1 == "unit" { print U "/" $2 }' "$S/managed" |
    xargs -d '\n' -r stat -c "S$TAB%a$TAB%u$TAB%g$TAB%n" -- 2>/dev/null | awk -F "$TAB" "$NAMES_AWK"
  # The list from a heredoc, not a printf in a subshell; an empty line in it names no file: sha256sum says nothing of it.
  [ -z "$1" ] || xargs -d '\n' -r sha256sum -- 2>/dev/null <<NODEFORM_HL | awk '{ i = index($0, "  "); print "H\t" substr($0, 1, i - 1) "\t" substr($0, i + 2) }'
$1
NODEFORM_HL
  # The units, a line "/" (no unit or user name holds one), then the users, by one awk: un and us split from it.
  uw=$(awk -F "$TAB" '$1 == "unit" { print $2 } $1 == "user" { w = w $2 "\n" } END { printf "/\n%s", w }' "$S/managed")
  un=${'$'}{uw%/*} us=${'$'}{uw##*/}
  o=$IFS; IFS=$NL; set -f
  if [ -n "$un" ]; then
    set -- $un
    systemctl show -p UnitFileState -p ActiveState -- "$@" 2>/dev/null | {
      e= a= seen=0
      while :; do
        IFS= read -r l || l=END
        case $l in
          UnitFileState=*) e=${'$'}{l#*=}; seen=1 ;;
          ActiveState=*) a=${'$'}{l#*=}; seen=1 ;;
          ''|END)
            if [ "$seen" = 1 ] && [ $# -gt 0 ]; then printf 'U\t%s\t%s\t%s\n' "$1" "${'$'}{e:-not-found}" "${'$'}{a:-unknown}"; shift; fi
            e= a= seen=0
            [ "$l" != END ] || break ;;
        esac
      done
      for n in "$@"; do printf 'U\t%s\tnot-found\tunknown\n' "$n"; done
    }
  fi
  for u in $us; do if getent passwd "$u" >/dev/null; then printf 'W\t%s\tpresent\n' "$u"; else printf 'W\t%s\tmissing\n' "$u"; fi; done
  IFS=$o; set +f
}`;

const padMode = (mode: string) => mode.padStart(4, '0');
const isActive = (state: string) => state === 'active' || state === 'reloading';
/** A unit caught activating or deactivating (a timer's oneshot, a start in progress) has no settled activity. */
const settling = (state: string) => state === 'activating' || state === 'deactivating';

/**
 * The differences between what the last generation left and the host now, from the lines only one side has
 * (`side` R: recorded, L: live; the line as st() prints it, hashes masked). Ordered by target, then field.
 */
export function driftItems(lines: readonly { side: string; line: string }[], managed: readonly ManagedEntry[]): DriftItem[] {
  const units = new Map(managed.filter((e) => e.kind === 'unit').map((e) => [`${UNIT_DIR}/${e.target}`, e.target]));
  const directories = new Set(managed.filter((e) => e.kind === 'directory').map((e) => e.target));
  const pathEntry = (path: string): Pick<DriftItem, 'kind' | 'target'> =>
    units.has(path) ? { kind: 'unit', target: units.get(path)! } : { kind: directories.has(path) ? 'directory' : 'file', target: path };
  const sides = { R: new Map<string, string[]>(), L: new Map<string, string[]>() };
  for (const { side, line } of lines) {
    if (side !== 'R' && side !== 'L') continue;
    const [type = '', ...fields] = line.split('\t');
    // The key: the record type and the path or name (a stat line ends with its path; the others start with it).
    const name = type === 'S' ? fields.slice(3).join('\t') : fields[type === 'H' ? 1 : 0];
    if (!name || !['S', 'H', 'U', 'W'].includes(type)) continue;
    sides[side].set(`${type}\t${name}`, fields);
  }
  const items: DriftItem[] = [];
  const keys = new Set([...sides.R.keys(), ...sides.L.keys()]);
  for (const key of keys) {
    const [type, name] = key.split('\t') as [string, string];
    const recorded = sides.R.get(key);
    const live = sides.L.get(key);
    if (type === 'S') {
      const entry = pathEntry(name);
      if (!recorded || !live) {
        items.push({ ...entry, field: 'exists', recorded: String(Boolean(recorded)), live: String(Boolean(live)) });
        continue;
      }
      (['mode', 'owner', 'group'] as const).forEach((field, index) => {
        const [before, after] = field === 'mode' ? [padMode(recorded[index]!), padMode(live[index]!)] : [recorded[index]!, live[index]!];
        if (before !== after) items.push({ ...entry, field, recorded: before, live: after });
      });
    } else if (type === 'H') {
      // Gone: said by its stat line. Changed or unreadable now: its content is not what was left.
      if (recorded && sides.R.has(`S\t${name}`) && !sides.L.has(`S\t${name}`)) continue;
      items.push({ ...pathEntry(name), field: 'content', recorded: null, live: null });
    } else if (type === 'U' && recorded && live) {
      const [, enabledBefore = '', activeBefore = ''] = recorded;
      const [, enabledNow = '', activeNow = ''] = live;
      if (enabledBefore !== enabledNow) items.push({ kind: 'unit', target: name, field: 'enabled', recorded: enabledBefore, live: enabledNow });
      if (!settling(activeBefore) && !settling(activeNow) && isActive(activeBefore) !== isActive(activeNow)) {
        items.push({ kind: 'unit', target: name, field: 'active', recorded: activeBefore, live: activeNow });
      }
    } else if (type === 'W' && recorded && live) {
      items.push({ kind: 'user', target: name, field: 'exists', recorded: String(recorded[1] === 'present'), live: String(live[1] === 'present') });
    }
  }
  const order = ['exists', 'content', 'mode', 'owner', 'group', 'enabled', 'active'];
  return items.sort((a, b) => (a.target < b.target ? -1 : a.target > b.target ? 1 : order.indexOf(a.field) - order.indexOf(b.field)));
}
