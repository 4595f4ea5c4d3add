// Builds the one host-side script that applies a HostPlan. Pure: it returns text.
//
// The script is wrapped in a function and called on its last line, so a script cut off in transit
// is a syntax error that runs nothing. On the host it: takes the lock (waiting, or taking over a
// dead or unreadable holder's), checks every change's precondition, opens a generation, backs up what
// it will touch, seals the record (every write checked and fsynced, the new managed list and the
// completion line included) before the first change, writes each file to a temp file in the same
// directory and renames it into place (owner and mode set and fsynced before), reloads systemd only
// when unit files changed, restarts only what the plan names, reads back every file it wrote (many files together:
// hashed once as temp files, then found moved into place, see mv_many), completes
// the generation by renames and prunes old ones. Stopped before its first change, it removes what it
// recorded; failing after, it says PARTIAL with the generation (run.ts then rolls the host back).
// Many plain files (BULK_THRESHOLD) go together through *_many functions; they need GNU tar, gzip, findutils (find,
// xargs -d), awk and coreutils' cp --parents and sync -f (8.24 or newer) on the host. Their bytes travel as one
// gzipped tar and their long lists gzipped too, each packed once per run for all the hosts that get the same (ScriptMemo).

import { NodeformError } from '../errors.js';
import type { Change, HostPlan } from '../model/plan.js';
import type { Desired, FileResource, LocalFile, ManagedEntry, UnitResource } from '../model/types.js';
import { command, quote } from '../shell/quote.js';
import { UNIT_DIR } from '../model/types.js';
import { NAMES_SH, STATE_SH } from '../facts/applied.js';
import { KEY_FILE, KEY_SH } from '../facts/key.js';
import { HELD_SH, SECRET_FLAG } from '../facts/records.js';
import { sha256Hex } from '../util/sha256.js';
import { gzipSync } from 'node:zlib';
import { tarArchive, tarOwnerName, type TarFile } from './tar.js';

/**
 * Files larger than this cross the wire raw in an upload exec of their own before the apply script
 * (content-addressed in STATE/staging), instead of base64 inside the script. Local files always do.
 */
export const STAGE_THRESHOLD = 512 * 1024;

/** Bytes the apply uploads before its script: held in memory (a large rendered file) or a controller file, streamed. */
export type StagedBytes = { bytes: Buffer } | { local: LocalFile };

export const stagedSize = (staged: StagedBytes): number => ('bytes' in staged ? staged.bytes.length : staged.local.size);

/** Content the apply must upload first: declared files and unit files over STAGE_THRESHOLD, and local files, by sha256. */
export function stagedContent(plan: HostPlan, desired: Desired | undefined): Map<string, StagedBytes> {
  const staged = new Map<string, StagedBytes>();
  const byPath = new Map<string, FileResource | UnitResource>();
  for (const r of desired?.resources ?? []) if (r.kind === 'file' || r.kind === 'unit') byPath.set(r.path, r);
  for (const c of plan.changes) {
    if (c.content?.from !== 'desired' || !c.after || !c.attributes.some((a) => a.name === 'content')) continue;
    const resource = byPath.get(filePath(c));
    if (!resource) continue;
    if (resource.kind === 'file' && resource.local) {
      if (resource.secret) throw new NodeformError('INTERNAL', `${resource.path} is a secret from a local file: secrets go inside the script`);
      staged.set(resource.sha256, { local: resource.local });
      continue;
    }
    if (resource.kind === 'file' && resource.secret) continue; // a secret goes inside the script: no hash on a command line
    // Sized without a copy of the bytes: only the large ones are copied.
    const size = Buffer.byteLength(resource.content, resource.kind === 'file' && resource.encoding === 'base64' ? 'base64' : 'utf8');
    if (size > STAGE_THRESHOLD) staged.set(resource.sha256, { bytes: bytesOf(resource) });
  }
  return staged;
}

/**
 * One exec that says, for each sha256, what STATE/staging holds of it: `SHA have SIZE` (complete and verified) or
 * `SHA part SIZE` (the bytes of an upload that was cut, 0 when none): an upload resumes from there.
 */
export function stagedQueryCommand(stateDir: string, shas: string[], aliases: ReadonlyMap<string, string> = new Map()): string {
  // SHA/ALIAS: a cut upload of the same file may wait under the placeholder name it had when its digest was not known.
  const script =
    'd="$1/staging"; shift; for e; do h=${e%%/*}; a=; case $e in */*) a=${e#*/} ;; esac; ' +
    'if [ -f "$d/$h" ]; then echo "$h have $(stat -c %s "$d/$h")"; ' +
    'elif [ -f "$d/$h.part" ]; then echo "$h part $(stat -c %s "$d/$h.part")"; ' +
    'elif [ -n "$a" ] && [ -f "$d/$a.part" ]; then echo "$h part $(stat -c %s "$d/$a.part")"; else echo "$h part 0"; fi; done';
  return `sh -c ${quote(script)} sh ${command([stateDir, ...shas.map((sha) => (aliases.has(sha) ? `${sha}/${aliases.get(sha)}` : sha))])}`;
}

/** Exit code of an upload that ended short (its input was cut): what arrived is kept for the next one to resume. */
export const EXIT_UPLOAD_SHORT = 75;

/**
 * The block the host's dd writes an upload in. 128 KiB: sshd waits on a full pipe while dd writes a block out.
 * Against 1 MiB blocks, a 250 MB first apply to 3 hosts was faster in 15 of 22 alternating runs (about 4% in the median).
 */
export const STAGE_BLOCK_BYTES = 128 * 1024;

/**
 * The upload exec for one staged file: stdin carries its bytes from `offset` to the end, appended to
 * STATE/staging/SHA.part as they arrive (a cut upload keeps what arrived, and the next resumes there), then one
 * line from the controller: the sha256 when it vouches for the bytes it sent (they are the bytes it hashed, see
 * apply/upload.ts), `-` when it cannot, `changed` when the file changed while it was read (the part is removed).
 * `hostHash`: the host hashes the bytes already there and the new ones in the same pass, as they arrive (a resumed
 * upload, or bytes the controller cannot vouch for); without it the bytes are written once and not read again.
 * Only a complete file of the right sha256 is fsynced and renamed to STATE/staging/SHA. A damaged one is removed.
 * Nothing outside STATE/staging is touched. dd reads exactly the file's bytes, never the line after them.
 * Each upload writes a file of its own (a resumed one copies the part first, on the host): a cut upload whose
 * session the host has not closed yet (a frozen link) still holds its part open, and writes the block dd held
 * when its input ends at last; that must never land in the file a later upload finished (it becomes the target
 * itself, by renames). Such a late upload then finds its part's name taken, and leaves it alone.
 */
export function stageCommand(stateDir: string, sha256: string, offset: number, total: number, hostHash: boolean, alias = ''): string {
  const script = [
    'umask 077; d="$1/staging"; h=$2; off=$3; total=$4; a=${6:-}; p="$d/$h.part"',
    'mkdir -p "$d" || exit 1',
    // A cut upload of this file under the placeholder name it had when its digest was not known: resumed from there.
    'if [ -n "$a" ] && [ "$off" != 0 ] && [ ! -f "$p" ] && [ -f "$d/$a.part" ]; then mv -f "$d/$a.part" "$p" || exit 1; fi',
    // Always a file of its own (a new inode): an earlier upload cut by a frozen link may still run here, its dd
    // holding the bytes of a block it has not written yet, which it writes out when its session ends at last.
    'if [ "$off" = 0 ]; then rm -f "$p" && { [ -z "$a" ] || rm -f "$d/$a.part"; } && : > "$p" || exit 1',
    'elif [ -f "$p" ]; then cp "$p" "$p.new" && mv -f "$p.new" "$p" || { rm -f "$p.new"; echo "cannot copy the upload of $h in $d (is its filesystem full?)" >&2; exit 1; }; fi',
    'have=$(stat -c %s "$p" 2>/dev/null || echo none); ino=$(stat -c %i "$p" 2>/dev/null)',
    '[ "$have" = "$off" ] || { echo "the host holds $have bytes of the upload of $h, not $off: another upload of it ran at the same time; apply again" >&2; rm -f "$p"; exit 1; }',
    'n=$((total - off)); got=',
    `if [ "$5" = 1 ]; then got=$({ head -c "$off" "$p"; dd bs=${STAGE_BLOCK_BYTES} iflag=fullblock,count_bytes count="$n" status=none | tee -a "$p"; } | sha256sum | cut -c1-64)`,
    `else dd bs=${STAGE_BLOCK_BYTES} iflag=fullblock,count_bytes count="$n" status=none >> "$p" || { echo "cannot write the upload of $h in $d (is its filesystem full?)" >&2; exit 1; }; fi`,
    // Another upload took the part's name meanwhile (this one's connection was lost): its file is not this one's to judge.
    '[ "$(stat -c %i "$p" 2>/dev/null)" = "$ino" ] || { echo "a later upload of $h took the place of this one on the host: apply again" >&2; exit 1; }',
    'IFS= read -r said || said=',
    'size=$(stat -c %s "$p")',
    `[ "$size" -lt "$total" ] && { echo "the upload of $h ended at byte $size of $total: the next apply resumes there" >&2; exit ${EXIT_UPLOAD_SHORT}; }`,
    '[ "$said" != changed ] || { rm -f "$p"; echo "the file of sha256 $h changed on the controller while it was sent: apply again" >&2; exit 1; }',
    // A placeholder name's upload is named by the sha256 the controller says after the bytes (it hashed them meanwhile).
    'w=$h; case $h in pending-*) w=; case $said in *[!0-9a-f]*) ;; *) [ ${#said} -ne 64 ] || w=$said ;; esac ;; esac',
    '[ -n "$w" ] && [ "$size" = "$total" ] && { [ "$got" = "$w" ] || { [ -z "$got" ] && [ "$said" = "$w" ]; }; } || { rm -f "$p"; echo "upload of $h arrived damaged ($size bytes, sha256 ${got:-unchecked}): did the file change on the controller since it was hashed? apply again" >&2; exit 1; }',
    'sync "$p" && mv -f "$p" "$d/$w" || { echo "cannot keep the upload of $h in $d (is its filesystem full?)" >&2; exit 1; }',
  ].join('\n');
  return `sh -c ${quote(script)} sh ${command([stateDir, sha256, String(offset), String(total), hostHash ? '1' : '0', ...(alias ? [alias] : [])])}`;
}

export interface ScriptOptions {
  stateDir: string;
  runId: string;
  controller: string;
  lockTimeoutSeconds: number;
  keepGenerations: number;
  /** Recorded with the generation: apply, reset-previous, reset-original. */
  action: string;
  /** Seconds each unit the run starts or restarts must stay up, not restarted on its own (up_for); none: checked at once. */
  upForSeconds?: number;
}

/** Exit codes the script uses besides 0 and 1. */
export const EXIT_DRIFT = 3;
export const EXIT_LOCKED = 4;

const PRELUDE = String.raw`set -u
S=$1 RUN=$2 CTL=$3 LOCK_TIMEOUT=$4 KEEP=$5 ACTION=$6 NCHANGES=$7
TAB='${'\t'}'
umask 077
W= TMPDIRS= CUR_TMP= HAVE_LOCK=0 LOCKED_AT= LEGACY=0 G= G_ID= STARTED= FINISHED=- DRIFT=0 FAILED=0 CHANGED=0 NEW_PACK= PACKS= NEW_BLOBS= KEY= NOHASH='|' NOKNOWN=0 ORIGS= BULKORIG=0
FULL='(is its filesystem full?)'
say() { printf '%s\n' "$*"; }
unrecord() { # a run stopped before its first change leaves no record: its generation, new originals and backups go
  [ "$CHANGED" = 0 ] || return 0
  [ -z "$G" ] || [ ! -f "$G/blobs.keys" ] || while IFS= read -r b; do rm -f "$S/blobs/$b"; done < "$G/blobs.keys"
  [ -z "$G" ] || rm -rf "$G"
  [ -z "$NEW_PACK" ] || rm -f "$NEW_PACK"
  for b in $NEW_BLOBS; do rm -f "$S/blobs/$b"; done
  rm -f "$S/managed.new" "$S"/original/*.tmp "$S"/blobs/*.tmp 2>/dev/null
  G= NEW_PACK= NEW_BLOBS=
}
cleanup() {
  [ -n "$CUR_TMP" ] && rm -f "$CUR_TMP"
  [ -z "$TMPDIRS" ] || printf '%s' "$TMPDIRS" | xargs -d '\n' -r rm -rf --
  unrecord
  # Released by one rename: the lock never stands without its holder. The run's work directory (scratch, its own by
  # pid) goes with the lock's old name, by one rm.
  if [ "$HAVE_LOCK" = 1 ] && mv -T "$S/lock" "$S/lock.old.$$"; then rm -rf "$W" "$S/lock.old.$$"
  else [ -z "$W" ] || rm -rf "$W"; fi
  HAVE_LOCK=0 W=
}
fail() {
  if [ "$CHANGED" = 0 ]; then say "ERROR$TAB$*; nothing was changed"
  else say "PARTIAL$TAB$G_ID"; say "ERROR$TAB$*; the host was changed in part (generation $G_ID holds what it was)"; fi
  cleanup; exit 1
}
trap cleanup EXIT
trap 'cleanup; exit 129' HUP INT TERM PIPE
field() { printf '%s\n' "$1" | cut -f"$2"; }
${HELD_SH}
lock() {
  # In a directory that is there, one install -d (it sets the mode of a directory that is there as chmod does).
  dirof "$S"; if [ -d "$TD" ]; then install -d -m 700 -- "$S"; else mkdir -p "$S" && chmod 700 "$S"; fi || fail "cannot create state directory $S"
  boot=-; { IFS= read -r boot < /proc/sys/kernel/random/boot_id; } 2>/dev/null || boot=-
  waited=0
  while :; do
    # The lock directory appears whole, holder inside, by one rename; a rename onto it fails while it exists.
    # (A lock.new of this pid is an earlier holder's of the same pid, cut off: it goes first.)
    { [ ! -e "$S/lock.new.$$" ] || rm -rf "$S/lock.new.$$"; } && mkdir "$S/lock.new.$$" || fail "cannot create lock in $S"
    LOCKED_AT=$(date -u +%Y-%m-%dT%H:%M:%SZ) # date run in the substitution itself: one process, no function subshell
    if ! printf '%s\t%s\t%s\t%s\t%s\n' "$RUN" "$CTL" "$$" "$boot" "$LOCKED_AT" > "$S/lock.new.$$/holder"; then
      rm -rf "$S/lock.new.$$"; fail "cannot write the lock holder in $S $FULL"
    fi
    if mv -T "$S/lock.new.$$" "$S/lock" 2>/dev/null; then
      HAVE_LOCK=1; W=$S/work.$$; [ ! -e "$W" ] || rm -rf "$W"; mkdir "$W" || fail "cannot create $W $FULL"; return 0
    fi
    rm -rf "$S/lock.new.$$"
    if ! held; then
      # A holder line always has a pid and a boot id (it is written whole before the lock appears, and checked):
      # one that cannot be read (empty, cut short: a run killed while its disk was full) has no live holder.
      dead=$l
      case $hp in '' | *[!0-9]*) dead="unreadable holder (empty or cut short): taken over as dead" ;; esac
      [ -n "$hb" ] || dead="unreadable holder (empty or cut short): taken over as dead"
      # Its holder is gone (process dead, host rebooted, holder unreadable): move it aside; only one taker wins the rename.
      if mv -T "$S/lock" "$S/lock.stale.$$" 2>/dev/null; then rm -rf "$S/lock.stale.$$"; say "STALE$TAB$dead"; fi
      continue
    fi
    if [ "$waited" -ge "$LOCK_TIMEOUT" ]; then say "LOCKED$TAB$l"; exit 4; fi
    sleep 1; waited=$((waited + 1))
  done
}
drift() { say "DRIFT$TAB$1$TAB$2"; DRIFT=1; }
sha() { H=$(sha256sum < "$1"); H=${'$'}{H%% *}; } # H: the sha256 of file $1 (empty when unreadable), by one process
pad() { P=$1; while [ ${'$'}{#P} -lt 6 ]; do P=0$P; done; } # P: $1 zero-padded to 6 digits, as printf %06d, without a process
pre_file() {
  if [ "$2" = absent ]; then { [ -e "$1" ] || [ -L "$1" ]; } && drift "$1" "exists now; the plan expected it absent"; return 0; fi
  if [ ! -f "$1" ]; then drift "$1" "is gone or no longer a file; the plan expected sha256 $2"; return 0; fi
  sha "$1"; h=$H; [ "$h" = "$2" ] || drift "$1" "content changed since the plan (sha256 $h, plan expected $2)"
}
${KEY_SH}
${NAMES_SH}
${STATE_SH}
pre_secret() { # path digest|absent: a secret's precondition by its digest under the host's key; no hash is ever said
  if [ "$2" = absent ]; then { [ -e "$1" ] || [ -L "$1" ]; } && drift "$1" "exists now; the plan expected it absent"; return 0; fi
  if [ ! -f "$1" ]; then drift "$1" "is gone or no longer a file; the plan expected it (a secret)"; return 0; fi
  if [ "$2" = - ]; then drift "$1" "cannot be checked: the plan has no digest of this secret (the host's key could not be read or made)"; return 0; fi
  if [ ! -f "$S/${KEY_FILE}" ]; then drift "$1" "cannot be checked: the host's digest key $S/${KEY_FILE} is gone since the plan"; return 0; fi
  sha "$1"; keyed "$H"; [ "$D" = "$2" ] || drift "$1" "content changed since the plan (a secret: no hash shown)"
}
want_secret() { # path digest sha: the declared secret is the one the plan was made with (its digest under the host's key)
  if [ ! -f "$S/${KEY_FILE}" ]; then drift "$1" "cannot be checked: the host's digest key $S/${KEY_FILE} is gone since the plan"; return 0; fi
  if [ "$2" = - ]; then drift "$1" "cannot be checked: the plan has no digest of this secret (the host's key could not be read or made)"; return 0; fi
  keyed "$3"; [ "$D" = "$2" ] || drift "$1" "the declared content (a secret) changed since the plan was made; make a new plan"
}
pre_dir() {
  if [ "$2" = absent ]; then [ -e "$1" ] && drift "$1" "exists now; the plan expected it absent"; return 0; fi
  [ -d "$1" ] || drift "$1" "is gone; the plan expected a directory"
}
pre_user() {
  if getent passwd "$1" >/dev/null; then [ "$2" = present ] || drift "user $1" "exists now; the plan expected it absent"
  else [ "$2" = absent ] || drift "user $1" "is gone; the plan expected it to exist"; fi
}
metaline() { printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$G_ID" "$ACTION" "$STARTED" "$1" "$2" "$NCHANGES" "$CTL"; }
# Every write below is checked. Nothing changes on the host before the generation's record and backups are
# on disk (seal); after that the record is completed by renames and one same-length rewrite: no new space.
begin() {
  mkdir -p "$S/generations" "$S/blobs" "$S/original" || fail "cannot create $S $FULL"
  # The last generation, by its zero-padded number, read without the zeros (sh arithmetic takes 0NN as octal).
  last=0; for d in "$S"/generations/*; do case ${'$'}{d##*/} in '' | *[!0-9]*) ;; *) [ -d "$d" ] && last=${'$'}{d##*/} ;; esac; done
  last=${'$'}{last#"${'$'}{last%%[!0]*}"}; G_ID=$((${'$'}{last:-0} + 1))
  pad "$G_ID"; G=$S/generations/$P
  mkdir "$G" || fail "cannot create generation $G_ID in $S $FULL"
  if [ -f "$S/managed" ]; then cp "$S/managed" "$G/managed.before"; else : > "$G/managed.before"; fi ||
    fail "cannot copy what nodeform manages into $G $FULL"
  : > "$G/entries" && : > "$G/original.pack" || fail "cannot write $G/entries $FULL"
  # PACKS: the packs (regular files named *.pack, as find -type f lists them), by the shell's glob, not a process.
  # An original of its own file (recorded before packs) is looked for by its name only on a host that has one.
  PACKS= LEGACY=0
  for o in "$S"/original/* "$S"/original/.*; do
    case ${'$'}{o##*/} in
      . | ..) ;;
      *.pack) [ ! -f "$o" ] || [ -L "$o" ] || PACKS=${'$'}{PACKS:+"$PACKS$NL"}$o ;;
      .* | *.tmp) ;;
      *) [ ! -f "$o" ] || LEGACY=1 ;;
    esac
  done
  STARTED=${'$'}{LOCKED_AT:-$(date -u +%Y-%m-%dT%H:%M:%SZ)} # the lock was taken a moment ago: the generation starts with it
  { metaline - 0 > "$G/meta.tmp" && mv -f "$G/meta.tmp" "$G/meta"; } || fail "cannot write $G/meta $FULL"
}
# A target's original (its state before nodeform first changed it) is in $S/original: a file of its own named by
# the sha256 of its kind and target (records before packs), or a line of a pack, $S/original/GEN.RUN.pack: the
# originals a generation recorded, kept in $G/original.pack until seal, then moved there by one rename. A run cut
# off before seal (even by a crash) leaves no original. The first record of a target is its original.
packed() { # kind target: PL, the line of the target's original in a pack (the host's, or this run's), or empty
  PL=; [ -n "$PACKS" ] || [ -s "$G/original.pack" ] || return 0
  o=$IFS; IFS=$NL; set -f
  PL=$(K="$1$TAB$2$TAB" awk 'index($0, ENVIRON["K"]) == 1 { print; exit }' $PACKS "$G/original.pack")
  IFS=$o; set +f
}
rec() { # kind target existed sha mode owner group enabled active [user: shell home group groups | file: secret]
  kind=$1 line=$1; shift; for f in "$@"; do line="$line$TAB$f"; done
  printf '%s\n' "$line" >> "$G/entries" || fail "cannot record $1 in $G/entries $FULL"
  # This run's originals that rec wrote (ORIGS) are known without reading the pack; awk reads it when the host
  # has packs or bk_many/bk_dirs wrote there too (BULKORIG).
  case $NL$ORIGS in *"$NL$kind$TAB$1$NL"*) return 0 ;; esac
  if [ "$LEGACY" = 1 ]; then k=$(printf '%s\t%s\n' "$kind" "$1" | sha256sum | cut -c1-64); [ ! -f "$S/original/$k" ] || return 0; fi
  if [ -n "$PACKS" ] || [ "$BULKORIG" = 1 ]; then packed "$kind" "$1"; [ -z "$PL" ] || return 0; fi
  printf '%s\n' "$line" >> "$G/original.pack" || fail "cannot record the original state of $1 in $G $FULL"
  ORIGS="$ORIGS$kind$TAB$1$NL"
}
blob() { # path [sha: its hash as pre_file just checked it, not read again]
  B=${'$'}{2:-}; [ -n "$B" ] || { sha "$1"; B=$H; }
  [ -f "$S/blobs/$B" ] && return 0
  cp "$1" "$S/blobs/$B.tmp" && sync "$S/blobs/$B.tmp" && mv -f "$S/blobs/$B.tmp" "$S/blobs/$B" || fail "cannot back up $1 into $S/blobs $FULL"
  NEW_BLOBS="$NEW_BLOBS $B"
}
seal() { # stdin: what nodeform manages after this run. Written, with the completion record, before any change.
  cat > "$S/managed.new" || fail "cannot write $S/managed.new $FULL"
  # The completion line with a stand-in finish time of the same length, rewritten in place at the end.
  metaline 0000-00-00T00:00:00Z 1 > "$G/meta.done" || fail "cannot write $G/meta.done $FULL"
  # Many backups and first copies (bk_many) are flushed with their filesystem at once (syncfs), then the first
  # copies are moved into blobs and the new originals (which name them) into original by renames, each flushed.
  if [ -d "$G/backup" ] || [ -d "$G/blobs.new" ]; then sync -f "$G" || fail "cannot flush the record of generation $G_ID to disk"; fi
  sync "$G/entries" "$G/original.pack" "$G/managed.before" "$G/meta" "$G/meta.done" "$S/managed.new" "$G" "$S/generations" "$S/original" "$S/blobs" "$S" ||
    fail "cannot flush the record of generation $G_ID to disk"
  if [ -d "$G/blobs.new" ]; then
    find "$G/blobs.new" -mindepth 1 -maxdepth 1 -type f -exec mv -f -t "$S/blobs" -- {} + && sync "$S/blobs" ||
      fail "cannot back up the files into $S/blobs $FULL"
  fi
  if [ -s "$G/original.pack" ]; then
    # Named by the generation and the run: a name no other run takes (the generations may have been removed by hand).
    case $RUN in '' | *[!A-Za-z0-9]*) p=run ;; *) p=$RUN ;; esac
    pad "$G_ID"; p="$S/original/$P.$p.pack"
    [ ! -e "$p" ] || fail "cannot record the original state in $S/original: $p exists already"
    NEW_PACK=$p
    mv -f "$G/original.pack" "$p" && sync "$S/original" || fail "cannot record the original state in $S/original $FULL"
    PACKS="$PACKS$NL$p"
  fi
  CHANGED=1
  say "GEN$TAB$G_ID"
}
bk_file() { # path [s: a secret, so flagged in the record (records.ts ENTRY_FILE_FIELDS) | -] [sha, checked by pre_file]
  f=${'$'}{2:--}
  if [ -f "$1" ]; then blob "$1" "${'$'}{3:-}"; set -- "$1" $(stat -c '%a %U %G' -- "$1"); rec file "$1" 1 "$B" "$2" "$3" "$4" - - "$f"
  else rec file "$1" 0 - - - - - - "$f"; fi
}
bk_dir() {
  if [ -d "$1" ]; then set -- "$1" $(stat -c '%a %U %G' -- "$1"); rec directory "$1" 1 - "$2" "$3" "$4" - -
  else rec directory "$1" 0 - - - - - -; fi
}
ustate() { # as the probe reads it (facts/probe.ts): one systemctl show for UnitFileState and ActiveState
  E= A=
  for l in $(systemctl show -p UnitFileState -p ActiveState -- "$1" 2>/dev/null); do
    case $l in UnitFileState=*) E=${'$'}{l#*=} ;; ActiveState=*) A=${'$'}{l#*=} ;; esac
  done
  [ -n "$E" ] || E=not-found; [ -n "$A" ] || A=unknown
}
bk_unit() {
  f=${UNIT_DIR}/$1; ustate "$1"
  if [ -f "$f" ]; then blob "$f"; set -- "$1" $(stat -c '%a %U %G' -- "$f"); rec unit "$1" 1 "$B" "$2" "$3" "$4" "$E" "$A"
  else rec unit "$1" 0 - - - - "$E" "$A"; fi
}
bk_user() { # name [primary group] [groups, comma-separated]: the user as it is, and each group the change will create
  if l=$(getent passwd "$1"); then
    r=${'$'}{l%:*}
    rec user "$1" 1 - - - - - - "${'$'}{l##*:}" "${'$'}{r##*:}" "$(id -gn -- "$1")" "$(id -Gn -- "$1" | tr ' ' ,)"
  else rec user "$1" 0 - - - - - -; fi
  for g in ${'$'}{2:-} $(printf '%s' "${'$'}{3:-}" | tr ',' ' '); do getent group "$g" >/dev/null || rec group "$g" 0 - - - - - -; done
}
bk_group() { if getent group "$1" >/dev/null; then rec group "$1" 1 - - - - - -; else rec group "$1" 0 - - - - - -; fi; }
stale() { for t in "$1"/.nodeform-tmp.*; do [ -e "$t" ] || [ -L "$t" ] || continue; rm -rf -- "$t" || fail "cannot remove $t"; done; } # a cut-off run's temp files and directories
# The directory of a path (absolute, as the plan has it), without a process: TD.
dirof() { TD=${'$'}{1%/*}; TD=${'$'}{TD:-/}; }
tmpfor() { CUR_TMP=${'$'}{1%/*}/.nodeform-tmp.${'$'}{1##*/}.$$; }
inst() { # path mode owner group sha [s: a secret, whose hashes are never said]
  sha "$CUR_TMP"; h=$H
  if [ "$h" != "$5" ]; then [ "${'$'}{6:-}" != s ] || fail "content for $1 arrived damaged"; fail "content for $1 arrived damaged (sha256 $h, expected $5)"; fi
  place "$1" "$2" "$3" "$4"
}
place() { # path mode owner group [event, WROTE]: the temp file (CUR_TMP, its content checked) gets owner and mode, flushed, renamed into place
  chown "$3:$4" "$CUR_TMP" && chmod "$2" "$CUR_TMP" && sync "$CUR_TMP" && mv -f "$CUR_TMP" "$1" || fail "cannot install $1"
  CUR_TMP=; dirof "$1"; sync "$TD" 2>/dev/null
  say "${'$'}{5:-WROTE}$TAB$1"
}
put() { tmpfor "$1"; base64 -d > "$CUR_TMP" || fail "cannot write $1"; inst "$@"; }
stage() { # path mode owner group sha size last(1|0): an upload, verified as it arrived in the state directory
  tmpfor "$1"; f=$S/staging/$5
  [ -f "$f" ] || fail "the upload of $1 (sha256 $5) is missing from $S/staging"
  # Directories compared (overlayfs gives a file the device of the layer it is on, a directory the mount's).
  # One stat: the devices of both directories and the upload's size (the file the rename below moves, whole).
  dirof "$1"; same=0
  if [ "$7" = 1 ] && v=$(stat -c '%d %s' -- "$S/staging" "$TD" "$f"); then
    d1=${'$'}{v%%"$NL"*}; v=${'$'}{v#*"$NL"}; d2=${'$'}{v%%"$NL"*}; size=${'$'}{v#*"$NL"}; size=${'$'}{size#* }
    [ "${'$'}{d1%% *}" != "${'$'}{d2%% *}" ] || same=1
  fi
  if [ "$same" = 1 ]; then
    # Its last use on the same filesystem: moved beside the target (a rename, no copy, no second hash), then renamed.
    mv -f "$f" "$CUR_TMP" || fail "cannot write $1"
    [ "$size" = "$6" ] || fail "the upload of $1 holds $size bytes, expected $6"
    place "$1" "$2" "$3" "$4"
  else
    cp "$f" "$CUR_TMP" || fail "cannot copy the upload of $1 (sha256 $5) from $S/staging $FULL"; inst "$1" "$2" "$3" "$4" "$5"
  fi
}
gen() { # path mode owner group: 32 random bytes as hex, made here and never sent anywhere
  tmpfor "$1"
  od -An -tx1 -N32 /dev/urandom | tr -d ' \n' > "$CUR_TMP" || fail "cannot generate $1"
  place "$1" "$2" "$3" "$4" GENERATED
}
pre_exists() {
  if [ "$2" = absent ]; then { [ -e "$1" ] || [ -L "$1" ]; } && drift "$1" "exists now; the plan expected it absent"; return 0; fi
  [ -f "$1" ] || drift "$1" "is gone; the plan expected a file"
}
bsha() { # kind target ref: B, the sha256 of the target's backup as the host's own record holds it: its original
  # (ref original:KEY, KEY the name of its file in $S/original) or its entry in a generation (ref: the generation's id)
  l=
  case $3 in
    original:*) if [ -f "$S/original/${'$'}{3#original:}" ]; then IFS= read -r l < "$S/original/${'$'}{3#original:}"; else packed "$1" "$2"; l=$PL; fi ;;
    *) pad "$3"; l=$(K="$1$TAB$2$TAB" awk 'index($0, ENVIRON["K"]) == 1 { print; exit }' "$S/generations/$P/entries" 2>/dev/null) ;;
  esac
  B=${'$'}{l#*"$TAB"*"$TAB"*"$TAB"}; B=${'$'}{B%%"$TAB"*}
  case $B in ''|-|*[!0-9a-f]*) fail "the backup of $2 is not in the host's record ($3)" ;; esac
}
restore() { # kind target path mode owner group ref [s]: the bytes of the backup the host's record names (the plan names no hash)
  bsha "$1" "$2" "$7"; shift 2
  src=$S/blobs/$B # a generation's own copy (bk_many) first, else the blob store
  case $5 in original:*) ;; *) pad "$5"; [ ! -f "$S/generations/$P/backup$1" ] || src="$S/generations/$P/backup$1" ;; esac
  tmpfor "$1"; cp "$src" "$CUR_TMP" || fail "the backup of $1 is missing from $S/blobs"
  inst "$1" "$2" "$3" "$4" "$B" ${'$'}{6:-}
}
chkb() { bsha "$1" "$2" "$4"; chk "$3" "$B" ${'$'}{5:-}; } # kind target path ref [s]: a restored file read back
attrs() { chown "$3:$4" "$1" && chmod "$2" "$1" || fail "cannot set owner or mode of $1"; say "ATTRS$TAB$1"; }
del() { rm -f -- "$1" || fail "cannot remove $1"; say "REMOVED$TAB$1"; }
mkd() { # path mode owner group: in a directory that is there, one install -d (it sets owner and mode as chown and
  # chmod do, a set-group-ID bit inherited kept); else mkdir -p, whose parents get its modes, then chown and chmod
  dirof "$1"
  if [ -d "$TD" ]; then install -d -m "$2" -o "$3" -g "$4" -- "$1"
  else mkdir -p -- "$1" && chown "$3:$4" "$1" && chmod "$2" "$1"; fi || fail "cannot create directory $1"
  say "DIR$TAB$1"
}
rmtree() { rm -rf -- "$1" || fail "cannot remove $1"; say "REMOVED$TAB$1"; }
rmd() { if rmdir -- "$1" 2>/dev/null; then say "REMOVED$TAB$1"; else printf 'KEPT\t%s\tnot empty\n' "$1"; fi; }
grp() { getent group "$1" >/dev/null || groupadd $2 -- "$1" || fail "cannot create group $1"; }
grps() { # comma-separated supplementary groups, each created when missing
  for g in $(printf '%s' "$1" | tr ',' ' '); do grp "$g" "$2"; done
}
uadd() { # name system(1|0) group groups shell home
  s=; [ "$2" = 1 ] && s=--system
  grp "$3" "$s"; grps "$4" "$s"
  if [ -n "$6" ]; then useradd $s --gid "$3" --groups "$4" --shell "$5" --home-dir "$6" --no-create-home -- "$1"
  else useradd $s --gid "$3" --groups "$4" --shell "$5" --no-create-home -- "$1"; fi || fail "cannot create user $1"
  say "USER$TAB$1"
}
umod() { # name group groups shell home
  grp "$2" ""; grps "$3" ""
  if [ -n "$5" ]; then usermod --gid "$2" --groups "$3" --shell "$4" --home "$5" -- "$1"
  else usermod --gid "$2" --groups "$3" --shell "$4" -- "$1"; fi || fail "cannot change user $1"
  say "USER$TAB$1"
}
wipe() { # unit... -- path...: stop the units, then remove the paths (chain data; identity lives elsewhere)
  while [ "$1" != -- ]; do systemctl stop -- "$1" || fail "cannot stop $1 before wiping"; say "STOPPED$TAB$1"; shift; done
  shift
  for p in "$@"; do rm -rf -- "$p" || fail "cannot remove $p"; say "WIPED$TAB$p"; done
}
udel() { userdel -- "$1" || fail "cannot remove user $1"; printf 'REMOVED\tuser %s\n' "$1"; }
gdel() { # a group nodeform created: gone already (userdel removes a user's own group) is fine
  if ! getent group "$1" >/dev/null; then printf 'KEPT\tgroup %s\talready gone\n' "$1"; return 0; fi
  groupdel -- "$1" || fail "cannot remove group $1"; printf 'REMOVED\tgroup %s\n' "$1"
}
ustop() { systemctl disable --now -- "$1" >/dev/null 2>&1; say "STOPPED$TAB$1"; }
sctl() { systemctl "$@" || fail "systemctl $* failed"; say "SYSTEMCTL$TAB$*"; }
chk() { # path sha [s: a secret]
  sha "$1" 2>/dev/null; h=$H; [ "$h" = "$2" ] && return 0
  [ "${'$'}{3:-}" != s ] || fail "read-back of $1 gave other content than written"; fail "read-back of $1 gave sha256 $h, expected $2"
}
chks() { # path size sha: a moved upload (verified as it arrived) read back by its size; its hash is known, not read again
  [ "$(stat -c %s -- "$1" 2>/dev/null)" = "$2" ] || fail "read-back of $1 gave $(stat -c %s -- "$1" 2>/dev/null) bytes, expected $2"
  known "$1" "$3"
}
known() { # path sha: for STATE/applied (applied), a file's sha256 known already, so that it is not read again there
  # (sha256sum escapes a name with a backslash: such a file is hashed there as any other). A list cut short by a
  # failed write is not used (NOKNOWN): then every file is hashed.
  case $1 in *\\*) ;; *) printf '%s\t%s\n' "$1" "$2" >> "$W/known" || NOKNOWN=1 ;; esac
}
chk_active() {
  a=$(systemctl is-active -- "$1" 2>/dev/null)
  if [ "$a" != "$2" ]; then printf 'UNIT\t%s\tis %s after apply, expected %s\n' "$1" "$a" "$2"; FAILED=1; fi
}
up_for() { # seconds unit...: each unit, started or restarted by this run, still runs that long after and was not restarted
  # on its own meanwhile (systemd counts those restarts from the run's own start): a client that exits at a flag it
  # does not take, a moment after it started, fails the apply.
  t=$1; shift; sleep "$t"
  for u; do
    systemctl show -p ActiveState -p SubState -p NRestarts -- "$u" 2>/dev/null | awk -F = -v U="$u" -v T="$t" -v TAB="$TAB" '
      $1 == "ActiveState" { state = $2 } $1 == "SubState" { sub_ = $2 } $1 == "NRestarts" { restarts = $2 + 0 }
      END {
        times = restarts == 1 ? "once" : restarts " times"
        why = "journalctl -u " U " says why"
        if (sub_ == "auto-restart") printf "UNIT%s%s%sexited within %s s of its start and waits to be restarted%s (%s)\n", TAB, U, TAB, T, (restarts > 0 ? ", restarted " times " already" : ""), why
        else if (state != "active") printf "UNIT%s%s%sis %s (%s) %s s after its start, expected active%s\n", TAB, U, TAB, (state == "" ? "unknown" : state), sub_, T, (restarts > 0 ? "; restarted " times " on its own meanwhile" : "")
        else if (restarts > 0) printf "UNIT%s%s%swas restarted %s on its own within %s s of its start (it exits: %s)\n", TAB, U, TAB, times, T, why
        exit state != "active" || restarts > 0
      }' || FAILED=1
  done
}
# Many plain files at once: a few processes for them all, whatever their number (one stat, sha256sum, cp, tar that
# also sets owner, group and mode, mv per directory, awk for the lists), instead of about twenty per file; each file
# hashed once on the host, as its temp file (sums), its hash then known for STATE/applied (known). Lists
# come on stdin, one line per file, fields TAB-separated (no field is ever empty). sh reads no list line by line:
# its read builtin takes one byte per system call, which over thousands of lines costs more than the work itself.
# awk joins the lists; where it writes records it first prints what it is about to write (E PATH: the entry,
# O PATH: the original), so a failed write is reported for its file (awk stops at a failed write).
unlist() { cat > "$1" || fail "cannot write $1 $FULL"; } # stdin: a list, kept in the file $1
unpack() { base64 -d | gzip -dc > "$1" || fail "cannot write $1 $FULL"; } # stdin: a list gzipped, base64
reg() { # stdin: paths; stdout: those that are regular files now, links followed (test -f), from one stat
  xargs -d '\n' -r stat -L -c "%f$TAB%n" -- 2>/dev/null | awk -F "$TAB" '$1 ~ /^8...$/ { print substr($0, length($1) + 2) }'
}
# awk functions for the lists' paths (awk -v R="$RUN" for tmp): dir(p), the directory of p ("" for a file in /);
# tmp(p), the temp file p goes through, DIR/.nodeform-tmp.RUN/NAME, in a directory of the run's own beside p
PATH_AWK='function dir(p) { sub(/\/[^\/]*$/, "", p); return p }
  function tmp(p,  d) { d = dir(p); return d "/.nodeform-tmp." R substr(p, length(d) + 1) }'
tmpname() { # stdin: lines whose first field is a path; stdout: the temp file beside each
  awk -F "$TAB" -v R="$RUN" "$PATH_AWK"'{ print tmp($1) }'
}
tmpdirs() { # $1: a list whose first field is a path: the temp directories its files go through, once each, in $W/tmpdirs
  awk -F "$TAB" -v R="$RUN" "$PATH_AWK"'{ print dir($1) "/.nodeform-tmp." R }' "$1" | sort -u > "$W/tmpdirs" || fail "cannot write $W/tmpdirs $FULL"
  TMPDIRS=$(cat "$W/tmpdirs")
}
sums() { # list column [t]: the list's files (PATH TAB ..., with t their temp files) hashed by one sha256sum; BAD: the
  # first line whose sha256 (its field column) is not what sha256sum said of the file (PATH TAB GOT TAB WANT), or empty
  { if [ "${'$'}{3:-}" = t ]; then tmpname < "$1"; else cut -f1 "$1"; fi; } | xargs -d '\n' -r sha256sum -- > "$W/sums" 2>/dev/null
  BAD=$(awk -F "$TAB" -v C="$2" -v T="${'$'}{3:-}" -v R="$RUN" "$PATH_AWK"'FILENAME == ARGV[1] { h[substr($0, 67)] = substr($0, 1, 64); next }
    { n = (T == "t") ? tmp($1) : $1; got = (n in h) ? h[n] : ""; if (got != $C) { print $1 "\t" got "\t" $C; exit } }' "$W/sums" "$1")
}
pre_many() { # path sha|absent: the preconditions, by one stat for what must be absent, one for what must be a file, one sha256sum
  cat > "$W/pre" || fail "cannot write $W/pre $FULL"
  awk -F "$TAB" '$2 == "absent" { print $1 }' "$W/pre" | xargs -d '\n' -r stat -c '%n' -- > "$W/pre.there" 2>/dev/null
  awk -F "$TAB" '$2 != "absent" { print $1 }' "$W/pre" | reg > "$W/pre.reg"
  xargs -d '\n' -r sha256sum -- < "$W/pre.reg" > "$W/pre.out" 2>/dev/null
  # In the order sh said them one by one: what exists or is no file, then what changed.
  awk -F "$TAB" '
    FILENAME == ARGV[1] { there[$0] = 1; next }
    FILENAME == ARGV[2] { reg[$0] = 1; next }
    FILENAME == ARGV[3] { h[substr($0, 67)] = substr($0, 1, 64); next }
    { n++; p[n] = $1; w[n] = $2 }
    END {
      for (i = 1; i <= n; i++) {
        if (w[i] == "absent") { if (p[i] in there) print "DRIFT\t" p[i] "\texists now; the plan expected it absent" }
        else if (!(p[i] in reg)) print "DRIFT\t" p[i] "\tis gone or no longer a file; the plan expected sha256 " w[i]
      }
      for (i = 1; i <= n; i++) if (w[i] != "absent" && (p[i] in reg)) {
        got = (p[i] in h) ? h[p[i]] : "-"
        if (got != w[i]) print "DRIFT\t" p[i] "\tcontent changed since the plan (sha256 " got ", plan expected " w[i] ")"
      }
    }' "$W/pre.there" "$W/pre.reg" "$W/pre.out" "$W/pre" > "$W/pre.drift" || fail "cannot check the preconditions $FULL"
  if [ -s "$W/pre.drift" ]; then cat "$W/pre.drift"; DRIFT=1; fi
}
recfail() { # the last line an awk that writes records printed: ok, or what it was writing when it failed
  case $1 in
    ok) ;;
    "E$TAB"*) fail "cannot record ${'$'}{1#*"$TAB"} in $G/entries $FULL" ;;
    "O$TAB"*) fail "cannot record the original state of ${'$'}{1#*"$TAB"} $FULL" ;;
    "S$TAB"*) fail "cannot read the state of ${'$'}{1#*"$TAB"}" ;;
    *) fail "cannot record the files in $G $FULL" ;;
  esac
}
# awk: an entry line L for path P in $G/entries and, the first time P is recorded, its original in $G/original.pack.
# Its original exists already when a file of $S/original is named by its key K (listed first: orig; K empty: not
# given) or a pack or such a file holds it (next: packed, by kind and target).
BK_AWK='BEGIN { E = ENVIRON["E"]; P = ENVIRON["P"]; BK = ENVIRON["BK"]; BL = ENVIRON["BL"] }
  function record(p, k, l,  kt) {
    print "E\t" p; print l >> E; if (fflush(E) != 0) { failed = 1; exit }
    kt = substr(l, 1, index(l, "\t")) p
    if ((k != "" && (k in orig)) || (kt in packed)) return 0
    if (k != "") orig[k] = 1
    packed[kt] = 1; print "O\t" p; print l >> P; if (fflush(P) != 0) { failed = 1; exit }
    return 1
  }'
knownorig() { # $W/bk.orig: the names of the files in $S/original; $W/bk.packed: the packs' lines, and those of the
  # originals recorded one file each (before packs: named by their key, each holding its entry line)
  ls "$S/original" > "$W/bk.orig" || fail "cannot read $S/original"
  o=$IFS; IFS=$NL; set -f
  cat -- $PACKS < /dev/null > "$W/bk.packed" || fail "cannot read the originals in $S/original"
  IFS=$o; set +f
  if grep -q -v -e '[.]pack$' -e '[.]tmp$' "$W/bk.orig"; then
    find "$S/original" -maxdepth 1 -type f ! -name '*.pack' ! -name '*.tmp' -exec cat -- {} + >> "$W/bk.packed" || fail "cannot read the originals in $S/original"
  fi
}
bk_many() { # path sha|-|absent (pre_many's list): each file's state in the generation's entries, a copy of its bytes in
  # $G/backup (one cp), its original when it is the first time (in $G/original.pack until seal); a file that was there,
  # the first time, also a copy for blobs (in $G/blobs.new until seal, named in $G/blobs.keys: one cp each, one flush
  # for all). Its originals are found by kind and target (knownorig), so the list names no key.
  BULKORIG=1 # it writes originals that rec then finds in $G/original.pack
  awk -F "$TAB" -v OFS="$TAB" '$2 == "absent" { $2 = "-" } { print }' > "$W/bkin" || fail "cannot write $W/bkin $FULL"
  knownorig
  cut -f1 "$W/bkin" | reg > "$W/bk.reg"
  # Files not there now: recorded as absent. Those there: listed, for one stat and one cp.
  r=$(E="$G/entries" P="$G/original.pack" BK="$W/bk" awk -F "$TAB" "$BK_AWK"'
    FILENAME == ARGV[1] { orig[$0] = 1; next }
    FILENAME == ARGV[2] { packed[$1 "\t" $2] = 1; next }
    FILENAME == ARGV[3] { reg[$0] = 1; next }
    $1 in reg { print > BK; next }
    { record($1, "", "file\t" $1 "\t0\t-\t-\t-\t-\t-\t-\t-") }
    END { if (failed) exit 1; print "W\t"; close(BK); print "ok" }' "$W/bk.orig" "$W/bk.packed" "$W/bk.reg" "$W/bkin" | tail -n 1)
  recfail "$r"
  [ -f "$W/bk" ] || : > "$W/bk" || fail "cannot write $W/bk $FULL"
  cut -f1 "$W/bk" > "$W/bk.paths"
  xargs -d '\n' -r stat -c "S$TAB%a$TAB%u$TAB%g$TAB%n" -- < "$W/bk.paths" > "$W/bk.ids" && names < "$W/bk.ids" > "$W/bk.stat" || fail "cannot read the files to back up"
  if [ -s "$W/bk.paths" ]; then
    mkdir -p "$G/backup" && xargs -d '\n' -r cp --parents -t "$G/backup" -- < "$W/bk.paths" || fail "cannot back up the files into $G $FULL"
  fi
  # Files that were there: their state recorded; their bytes kept in blobs when it is their first record.
  r=$(E="$G/entries" P="$G/original.pack" BL="$W/bk.blobs" awk -F "$TAB" "$BK_AWK"'
    FILENAME == ARGV[1] { orig[$0] = 1; next }
    FILENAME == ARGV[2] { packed[$1 "\t" $2] = 1; next }
    FILENAME == ARGV[3] { st[substr($0, length($1 $2 $3 $4) + 5)] = $2 "\t" $3 "\t" $4; next }
    { if (!($1 in st)) { print "S\t" $1; failed = 1; exit }
      if (record($1, "", "file\t" $1 "\t1\t" $2 "\t" st[$1] "\t-\t-\t-")) print $1 "\t" $2 > BL }
    END { if (failed) exit 1; print "W\t"; close(BL); print "ok" }' "$W/bk.orig" "$W/bk.packed" "$W/bk.stat" "$W/bk" | tail -n 1)
  recfail "$r"
  # The bytes from before nodeform outlive the generation: each sha256 not in blobs yet, once, from its file's backup.
  if [ -s "$W/bk.blobs" ]; then
    ls "$S/blobs" > "$W/bk.have" || fail "cannot read $S/blobs"
    mkdir -p "$G/blobs.new" || fail "cannot write $G $FULL"
    awk -F "$TAB" -v K="$G/blobs.keys" -v D="$G/blobs.new/" -v B="$G/backup" 'FILENAME == ARGV[1] { h[$0] = 1; next }
      !($2 in h) { h[$2] = 1; print B $1; print D $2; print $2 > K }
      END { if (close(K) != 0) exit 1 }' "$W/bk.have" "$W/bk.blobs" > "$W/bk.cp" || fail "cannot write $G/blobs.keys $FULL"
    xargs -d '\n' -r -n 2 cp -- < "$W/bk.cp" || fail "cannot back up the files into $G $FULL"
  fi
}
bk_dirs() { # path key: as bk_dir for many directories at once: one stat says which are directories now (links
  # followed, as test -d), one more their mode, owner and group (as bk_dir's), one awk records them
  BULKORIG=1
  cat > "$W/bdin" || fail "cannot write $W/bdin $FULL"
  knownorig
  cut -f1 "$W/bdin" | xargs -d '\n' -r stat -L -c "%f$TAB%n" -- 2>/dev/null | awk -F "$TAB" '$1 ~ /^4...$/ { print substr($0, length($1) + 2) }' > "$W/bd.dirs"
  xargs -d '\n' -r stat -c "%a$TAB%U$TAB%G$TAB%n" -- < "$W/bd.dirs" > "$W/bd.stat" || fail "cannot read the directories to back up"
  r=$(E="$G/entries" P="$G/original.pack" awk -F "$TAB" "$BK_AWK"'
    FILENAME == ARGV[1] { orig[$0] = 1; next }
    FILENAME == ARGV[2] { packed[$1 "\t" $2] = 1; next }
    FILENAME == ARGV[3] { st[substr($0, length($1 $2 $3) + 4)] = $1 "\t" $2 "\t" $3; next }
    $1 in st { record($1, $2, "directory\t" $1 "\t1\t-\t" st[$1] "\t-\t-"); next }
    { record($1, $2, "directory\t" $1 "\t0\t-\t-\t-\t-\t-\t-") }
    END { if (failed) exit 1; print "ok" }' "$W/bk.orig" "$W/bk.packed" "$W/bd.stat" "$W/bdin" | tail -n 1)
  recfail "$r"
}
mkd_many() { # path mode owner group, parents first: made as mkd makes each, by one mkdir -p for all, then one chown
  # and one chmod per owner and mode; when any of them fails, one by one by mkd, which names the directory that fails
  cat > "$W/mkd" || fail "cannot write $W/mkd $FULL"
  # $W/mkd.N: the paths of the Nth owner and mode; $W/mkd.by: N TAB owner:group TAB mode
  ok=0
  if cut -f1 "$W/mkd" | xargs -d '\n' -r mkdir -p -- 2>/dev/null &&
    D="$W/mkd." awk -F "$TAB" '{ k = $3 ":" $4 "\t" $2; if (!(k in n)) { n[k] = ++c; print c "\t" k }; print $1 > (ENVIRON["D"] n[k]) }' "$W/mkd" > "$W/mkd.by"; then
    ok=1
    while IFS="$TAB" read -r n og m; do
      xargs -d '\n' -r chown -- "$og" < "$W/mkd.$n" 2>/dev/null && xargs -d '\n' -r chmod -- "$m" < "$W/mkd.$n" 2>/dev/null || { ok=0; break; }
    done < "$W/mkd.by"
  fi
  if [ "$ok" = 1 ]; then awk -F "$TAB" '{ print "DIR\t" $1 }' "$W/mkd"
  else while IFS="$TAB" read -r p m o g; do mkd "$p" "$m" "$o" "$g"; done < "$W/mkd"; fi
}
dirs_of() { # list: each directory of the list's paths once, with the first path in it: DIR/ TAB PATH
  awk -F "$TAB" "$PATH_AWK"'{ d = dir($1); if (!(d in s)) { s[d] = 1; print d "/\t" $1 } }' "$1"
}
put_many() { # stdin: base64 of a gzipped tar of every file at DIR/.nodeform-tmp.RUN/NAME; $1: the list (path mode owner
  # group sha); $2: owned (the archive holds each file's owner, group and mode by name, which tar sets) or - (own_many)
  dirs_of "$1" > "$W/dirs" || fail "cannot write $W/dirs $FULL"
  while IFS="$TAB" read -r d p; do
    [ -d "$d" ] || fail "cannot write $p: its directory ${'$'}{d%/} is missing or not a directory"
  done < "$W/dirs"
  keep="--no-same-owner --no-same-permissions"
  if [ "$2" = owned ]; then
    # tar gives an owner or group it cannot find root instead: each must be there (by name) before it runs.
    cut -f3,4 "$1" | sort -u > "$W/owners" || fail "cannot write $W/owners $FULL"
    while IFS="$TAB" read -r u g; do
      getent passwd "$u" >/dev/null || fail "cannot set owner or mode of the new files: there is no user $u"
      getent group "$g" >/dev/null || fail "cannot set owner or mode of the new files: there is no group $g"
    done < "$W/owners"
    keep="--same-owner --same-permissions"
  fi
  tmpdirs "$1"
  # -m: a file's modification time is when it was written, not the archive's zero.
  base64 -d | gzip -dc | tar -x -m -f - -C / $keep || fail "cannot write the new files $FULL"
  sums "$1" 5 t
  [ -z "$BAD" ] || fail "content for $(field "$BAD" 1) arrived damaged (sha256 $(field "$BAD" 2), expected $(field "$BAD" 3))"
}
own_many() { # owner:group mode, stdin: the files' paths; their temp files get owner, group and mode
  tmpname > "$W/own" || fail "cannot write $W/own $FULL"
  xargs -d '\n' -r chown -- "$1" < "$W/own" && xargs -d '\n' -r chmod -- "$2" < "$W/own" || fail "cannot set owner or mode of the new files"
}
mv_many() { # list column: the list's temp files (checked by sums against the sha256 in the column) flushed (syncfs,
  # once per directory), renamed into place (one mv per directory), said, and their sha256 kept for applied (known).
  # Read back without reading them again: each temp directory held only the list's files, each hashed there, and is
  # empty now (rmdir), so each one is at its path.
  xargs -d '\n' -r sync -f -- < "$W/tmpdirs" || fail "cannot flush the new files to disk"
  while IFS= read -r d; do
    find "$d" -mindepth 1 -maxdepth 1 -exec mv -f -t "${'$'}{d%/.nodeform-tmp.*}" -- {} + || fail "cannot install the files of ${'$'}{d%/.nodeform-tmp.*}"
  done < "$W/tmpdirs"
  xargs -d '\n' -r rmdir -- < "$W/tmpdirs" || fail "cannot install the files: a temp directory of the run is not empty after they were moved into place"
  TMPDIRS=
  sed 's|/.nodeform-tmp.[^/]*$||' "$W/tmpdirs" | xargs -d '\n' -r sync -- 2>/dev/null
  cut -f1,"$2" "$1" >> "$W/known" || NOKNOWN=1
  awk -F "$TAB" '{ print "WROTE\t" $1 }' "$1"
}
restore_many() { # generation id, stdin: paths of plain files put back from that generation's backups: their sha256
  # from its entries (one awk), their bytes from its backup/ tree by one tar into temp files beside them (blobs/ for
  # a record older than backup/ trees), each checked; then own_many and mv_many as for put_many
  pad "$1"; gb="$S/generations/$P"
  cat > "$W/rs"
  awk -F'\t' 'NR == FNR { if ($1 == "file" && !($2 in sha)) sha[$2] = $4; next } { print $0 "\t" (($0 in sha) ? sha[$0] : "-") }' "$gb/entries" "$W/rs" > "$W/rs.list" ||
    fail "cannot read generation $1's record"
  tmpdirs "$W/rs"
  # Checked in the list's order, as one by one: the recorded sha256, the directory, then where the bytes come from
  # (the generation's backup/ tree, or blobs/ copied now); the first line that fails stops there.
  dirs_of "$W/rs.list" | while IFS="$TAB" read -r d p; do [ -d "$d" ] || printf '%s\n' "$d"; done > "$W/rs.baddirs"
  { [ ! -d "$gb/backup" ] || find "$gb/backup" -type f; } > "$W/rs.intree"
  GB="$gb/backup" TREE="$W/rs.tree" BLOB="$W/rs.blob" awk -F "$TAB" "$PATH_AWK"'
    BEGIN { GB = ENVIRON["GB"]; TREE = ENVIRON["TREE"]; BLOB = ENVIRON["BLOB"] }
    FILENAME == ARGV[1] { bad[$0] = 1; next }
    FILENAME == ARGV[2] { tree[substr($0, length(GB) + 1)] = 1; next }
    { if ($2 == "" || $2 == "-" || $2 ~ /[^0-9a-f]/) { print "S\t" $1; exit }
      if ((dir($1) "/") in bad) { print "D\t" $1; exit }
      if ($1 in tree) print substr($1, 2) > TREE; else print $1 "\t" $2 > BLOB }' "$W/rs.baddirs" "$W/rs.intree" "$W/rs.list" > "$W/rs.bad" ||
    fail "cannot read generation $1's record"
  [ ! -f "$W/rs.blob" ] || while IFS="$TAB" read -r p sha; do
    mkdir -p "${'$'}{p%/*}/.nodeform-tmp.$RUN" && cp "$S/blobs/$sha" "${'$'}{p%/*}/.nodeform-tmp.$RUN/${'$'}{p##*/}" || fail "the backup of $p is missing from $S/blobs"
  done < "$W/rs.blob"
  bad=; [ ! -s "$W/rs.bad" ] || IFS= read -r bad < "$W/rs.bad"
  case $bad in
    "S$TAB"*) fail "the backup of ${'$'}{bad#*"$TAB"} is not in the host's record (generation $1)" ;;
    "D$TAB"*) p=${'$'}{bad#*"$TAB"}; fail "cannot restore $p: its directory ${'$'}{p%/*} is missing or not a directory" ;;
  esac
  if [ -s "$W/rs.tree" ]; then
    tar -C "$gb/backup" -c -f - -T "$W/rs.tree" | tar -x -f - -C / --no-same-owner --no-same-permissions --transform "s,[^/]*$,.nodeform-tmp.$RUN/&," ||
      fail "cannot copy the backups of generation $1 into place $FULL"
  fi
  sums "$W/rs.list" 2 t
  [ -z "$BAD" ] || fail "the backup of $(field "$BAD" 1) was damaged (sha256 $(field "$BAD" 2), recorded $(field "$BAD" 3))"
}
del_many() { # path: files removed with one rm
  cat > "$W/del"
  xargs -d '\n' -r rm -f -- < "$W/del" || fail "cannot remove the files"
  awk '{ print "REMOVED\t" $0 }' "$W/del"
}
prune() {
  # The generations but the newest KEEP go, by one rm: the shell's glob lists them as ls does (sorted, no dot files).
  n=0; for d in "$S"/generations/*; do [ ! -e "$d" ] && [ ! -L "$d" ] || n=$((n + 1)); done
  n=$((n - KEEP)); set --
  for d in "$S"/generations/*; do [ "$n" -gt 0 ] || break; [ ! -e "$d" ] && [ ! -L "$d" ] || { set -- "$@" "$d"; n=$((n - 1)); }; done
  [ $# = 0 ] || rm -rf -- "$@"
  # Backups no record refers to go (no record is read when there are none); when a record cannot be read, none does.
  set -- "$S"/blobs/*; [ -e "$1" ] || [ -L "$1" ] || return 0
  [ ! -e "$S/.refs" ] && [ ! -e "$S/.blobs" ] || rm -f "$S/.refs" "$S/.blobs" # the lists of an older version, cut off
  # One awk reads the records (the generations' entries and the originals: each regular file of $S/original but
  # temp files, as find -type f lists them) and the blobs' names, all listed on its stdin (no command line to
  # overflow), and prints the blobs none of them names in its 4th field (as cut -f4 reads it).
  b=$({ printf 'F\t%s\n' "$S"/generations/*/entries
    for o in "$S"/original/* "$S"/original/.*; do case $o in *.tmp) ;; *) [ ! -f "$o" ] || [ -L "$o" ] || printf 'F\t%s\n' "$o" ;; esac; done
    printf 'B\t%s\n' "$@"; } | awk '
    /^F\t/ { f = substr($0, 3); while ((r = (getline l < f)) > 0) { n = split(l, a, "\t"); ref[index(l, "\t") ? a[4] : l] = 1 }
      if (r < 0) exit 1; close(f); next }
    { p = substr($0, 3); k = p; sub(/.*\//, "", k); if (!(k in ref)) print p }') || return 0
  [ -n "$b" ] || return 0
  if [ ${'$'}{#b} -lt 65536 ]; then o=$IFS; IFS=$NL; set -f; rm -f -- $b; IFS=$o; set +f
  else printf '%s\n' "$b" | xargs -d '\n' rm -f --; fi
}
unstage() { # sha...: the uploads this run used that are still there (a moved one is gone), removed by one rm, if any
  n=$#
  for h; do { [ -e "$S/staging/$h" ] || [ -L "$S/staging/$h" ]; } && set -- "$@" "$S/staging/$h"; done
  shift "$n"
  [ $# = 0 ] || rm -f -- "$@"
}
applied() { # STATE/applied: the state this generation left (facts/applied.ts), which nodeform drift compares with
  # One awk: first line, the files the last record says were made on the host (its N lines, joined as NOHASH), added
  # to NOHASH; then what is hashed: each managed file there (not one made on the host: never read; not one whose hash
  # is known: a moved upload, files written or restored together, see known) and unit file.
  a=/dev/null; [ ! -f "$S/applied" ] || a=$S/applied
  k=/dev/null; [ "$NOKNOWN" != 0 ] || [ ! -f "$W/known" ] || k=$W/known
  hl=$(NH="$NOHASH" awk -F "$TAB" -v U="${UNIT_DIR}" 'function head() { if (!h) { h = 1; print n; NH = ENVIRON["NH"] n } }
    FILENAME == ARGV[1] { if ($1 == "N") n = n $2 "|"; next }
    FILENAME == ARGV[2] { k[$1] = 1; next }
    { head() }
    $1 == "file" && !($2 in k) && !index(NH, "|" $2 "|") { print $2 } $1 == "unit" && !((U "/" $2) in k) { print U "/" $2 }
    END { head() }' "$a" "$k" "$S/managed")
  NOHASH="$NOHASH${'$'}{hl%%"$NL"*}"; case $hl in *"$NL"*) hl=${'$'}{hl#*"$NL"} ;; *) hl= ;; esac
  # Only those that are regular files now (as reg, the list from a heredoc: no subshells for printf and reg).
  [ -z "$hl" ] || hl=$(xargs -d '\n' -r stat -L -c "%f$TAB%n" -- 2>/dev/null <<NODEFORM_HL | awk -F "$TAB" '$1 ~ /^8...$/ { print substr($0, length($1) + 2) }'
$hl
NODEFORM_HL
)
  { printf 'G\t%s\t%s\n' "$G_ID" "$FINISHED"
    # Each once: NOHASH holds this run's and the last record's (the same paths, applied after applied).
    o=$IFS; IFS='|'; set -f; seen='|'
    for p in $NOHASH; do case $seen in *"|$p|"*) ;; *) [ -z "$p" ] || { seen="$seen$p|"; printf 'N\t%s\n' "$p"; } ;; esac; done; IFS=$o; set +f
    st "$hl"
    [ "$k" = /dev/null ] || awk -F "$TAB" '!($1 in s) { s[$1] = 1; print "H\t" $2 "\t" $1 }' "$k"
  } > "$S/applied.tmp" && mv -f "$S/applied.tmp" "$S/applied" && return 0
  # Better no record than a stale one: drift then says there is none.
  rm -f "$S/applied" "$S/applied.tmp"; say "WARN$TAB""cannot record $S/applied (nodeform drift has no record to compare with) $FULL"
}
finish() {
  mv -f "$S/managed.new" "$S/managed" || fail "cannot record what nodeform manages"
  FINISHED=$(date -u +%Y-%m-%dT%H:%M:%SZ)
  metaline "$FINISHED" 1 1<> "$G/meta.done" 2>/dev/null # same length as the stand-in line: rewritten in place
  mv -f "$G/meta.done" "$G/meta" || fail "cannot mark generation $G_ID complete"
  applied
  prune
  say "DONE$TAB$G_ID"
  [ "$FAILED" = 0 ] || exit 1
}
`;

const EOF_MARK = 'NODEFORM_EOF';

function q(...words: (string | number)[]): string {
  return command(words.map(String));
}

function heredoc(body: string): string {
  return `<<'${EOF_MARK}'\n${body}\n${EOF_MARK}`;
}

function base64Lines(data: Buffer): string {
  const text = data.toString('base64');
  const lines: string[] = [];
  for (let at = 0; at < text.length; at += 76) lines.push(text.slice(at, at + 76));
  return lines.join('\n');
}

/**
 * What the apply scripts of one run share: hosts that get the same many files get the same archive and lists, so
 * each is built and packed once per run, not once per host (applyAll makes one for the run).
 */
export class ScriptMemo {
  private readonly texts = new Map<string, string>();
  /** How many texts were packed (not found here). */
  packed = 0;

  /** `build`'s bytes gzipped as base64 lines, made once per key. */
  pack(key: string, build: () => Buffer | string): string {
    let text = this.texts.get(key);
    if (text === undefined) {
      text = base64Lines(gzipSync(build()));
      this.texts.set(key, text);
      this.packed += 1;
    }
    return text;
  }
}

/** Lists longer than this travel gzipped: sh parses every line of a heredoc, and the paths compress well. */
const PACK_FROM = 16 * 1024;

/** The sh that writes `text` (a list, one line per file) to $W/NAME. */
function listFile(name: string, text: string, memo: ScriptMemo): string {
  if (text.length < PACK_FROM) return `unlist "$W/${name}" ${heredoc(text)}`;
  // As the heredoc would hold it: every line ends with a newline.
  return `unpack "$W/${name}" ${heredoc(memo.pack(`list\u0000${text}`, () => `${text}\n`))}`;
}

function bytesOf(resource: FileResource | UnitResource): Buffer {
  if (resource.kind === 'file' && resource.encoding === 'base64') return Buffer.from(resource.content, 'base64');
  return Buffer.from(resource.content, 'utf8');
}

const has = (c: Change, name: string) => c.attributes.some((a) => a.name === name);

function unitPath(name: string): string {
  return `${UNIT_DIR}/${name}`;
}

/** Path of the file a change writes (a unit's file lives in /etc/systemd/system). */
function filePath(c: Change): string {
  return c.kind === 'unit' ? unitPath(c.target) : c.target;
}

/** Paths by `owner:group TAB mode`, for one chown and chmod each. */
function ownerGroups(files: { path: string; mode: string; owner: string; group: string }[]): Map<string, string[]> {
  const groups = new Map<string, string[]>();
  for (const f of files) {
    const key = `${f.owner}:${f.group}\t${f.mode}`;
    const list = groups.get(key);
    if (list) list.push(f.path);
    else groups.set(key, [f.path]);
  }
  return groups;
}

/** From this many plain files on, a plan's files are written, backed up and checked together (bk_many, put_many...). */
export const BULK_THRESHOLD = 8;

interface BulkWrite {
  path: string;
  tarName: string;
  /** The content (read only when the run has not packed these files yet). */
  resource: FileResource | UnitResource;
  sha: string;
  mode: string;
  owner: string;
  group: string;
}

/**
 * The changes done together: plain files (not secret, not staged, no backslash in the name) whose content comes
 * from the declared resource, or that are removed; when there are at least BULK_THRESHOLD of them.
 */
function bulkFiles(
  plan: HostPlan,
  staged: ReadonlyMap<string, StagedBytes>,
  contentOf: Map<string, FileResource | UnitResource>,
  runId: string,
): { changes: Set<Change>; writes: BulkWrite[]; deletes: string[]; restores: Map<number, Change[]> } {
  const changes = new Set<Change>();
  const writes: BulkWrite[] = [];
  const deletes: string[] = [];
  const restores = new Map<number, Change[]>();
  for (const c of plan.changes) {
    if (c.kind !== 'file' || c.secret || c.target.includes('\\') || !/^[A-Za-z0-9]+$/.test(runId)) continue;
    if (c.content?.from === 'backup' && c.content.record === 'generation' && c.after && has(c, 'content')) {
      changes.add(c);
      restores.set(c.content.generation, [...(restores.get(c.content.generation) ?? []), c]);
      continue;
    }
    if (c.action === 'delete' && !c.content) {
      changes.add(c);
      deletes.push(c.target);
      continue;
    }
    const resource = contentOf.get(c.target);
    const a = c.after;
    if (c.action === 'restart' || c.content?.from !== 'desired' || !a || !has(c, 'content') || !resource || resource.kind !== 'file') continue;
    if (staged.has(a.sha256)) continue;
    changes.add(c);
    const slash = c.target.lastIndexOf('/');
    writes.push({
      path: c.target,
      tarName: `${c.target.slice(1, slash + 1)}.nodeform-tmp.${runId}/${c.target.slice(slash + 1)}`,
      resource,
      sha: a.sha256,
      mode: a.mode,
      owner: a.owner,
      group: a.group,
    });
  }
  if (changes.size < BULK_THRESHOLD) return { changes: new Set(), writes: [], deletes: [], restores: new Map() };
  return { changes, writes, deletes, restores };
}

export function buildApplyScript(plan: HostPlan, desired: Desired | undefined, options: ScriptOptions, memo: ScriptMemo = new ScriptMemo()): { command: string; script: string } {
  const staged = stagedContent(plan, desired);
  const contentOf = new Map<string, FileResource | UnitResource>();
  for (const r of desired?.resources ?? []) {
    if (r.kind === 'file') contentOf.set(r.path, r);
    if (r.kind === 'unit') contentOf.set(r.path, r);
  }
  const body: string[] = ['lock'];
  const bulk = bulkFiles(plan, staged, contentOf, options.runId);

  // 1. Preconditions, all checked before anything changes.
  for (const c of plan.changes) {
    if (c.action === 'restart' || c.kind === 'wipe' || c.kind === 'group') continue; // a wipe's trigger is checked as the file it is; a group's removal tolerates its absence
    if (bulk.changes.has(c)) continue;
    const p = c.precondition;
    if (c.content?.from === 'generate') body.push(`pre_exists ${q(c.target, p.exists ? 'present' : 'absent')}`);
    else if (c.kind === 'file' && c.secret) {
      // A secret's precondition is its digest under the host's key, whether it is written, restored or removed.
      body.push(`pre_secret ${q(c.target, p.exists ? (p.keyedSha256 ?? '-') : 'absent')}`);
      const resource = c.content?.from === 'desired' ? contentOf.get(c.target) : undefined;
      if (resource) body.push(`want_secret ${q(c.target, c.after?.keyedSha256 ?? '-', resource.sha256)}`);
    }
    else if (c.kind === 'file' || c.kind === 'unit') body.push(`pre_file ${q(filePath(c), p.exists ? (p.sha256 ?? '') : 'absent')}`);
    else if (c.kind === 'directory') body.push(`pre_dir ${q(c.target, p.exists ? 'present' : 'absent')}`);
    else body.push(`pre_user ${q(c.target, p.exists ? 'present' : 'absent')}`);
  }
  if (bulk.changes.size > 0) {
    body.push(listFile('pre.in', [...bulk.changes].map((c) => `${c.target}\t${c.precondition.exists ? (c.precondition.sha256 ?? '-') : 'absent'}`).join('\n'), memo));
    body.push('pre_many < "$W/pre.in"');
  }
  body.push(`[ "$DRIFT" = 0 ] || exit ${EXIT_DRIFT}`, 'begin');

  // 2. Backups of everything about to change, and stale temp files of a cut-off run removed.
  const tempDirs = new Set<string>();
  // The files' backups from the preconditions' list (their sha256 as pre_many just checked it).
  if (bulk.changes.size > 0) body.push('bk_many < "$W/pre.in"');
  // Many directories: backed up together (bk_dirs), and those to create made together (mkd_many).
  const dirChanges = plan.changes.filter((c) => c.kind === 'directory');
  const bulkDirs = dirChanges.length >= BULK_THRESHOLD;
  if (bulkDirs) body.push(listFile('bd.in', dirChanges.map((c) => `${c.target}\t${originalKey('directory', c.target)}`).join('\n'), memo), 'bk_dirs < "$W/bd.in"');
  for (const c of plan.changes) {
    if (c.action === 'restart' || c.kind === 'wipe') continue;
    if (bulkDirs && c.kind === 'directory') continue;
    if (bulk.changes.has(c)) {
      if (c.action !== 'delete') tempDirs.add(filePath(c).replace(/\/[^/]*$/, '') || '/');
      continue;
    }
    const backup = { file: 'bk_file', directory: 'bk_dir', unit: 'bk_unit', user: 'bk_user', group: 'bk_group' }[c.kind];
    if (c.kind === 'user' && c.user) body.push(`bk_user ${q(c.target, c.user.group ?? c.target, c.user.groups.join(','))}`);
    else if (c.kind === 'file' && c.secret) body.push(`bk_file ${q(c.target, SECRET_FLAG)}`);
    // Its hash as pre_file checks it just before (under the lock): a large file is not read again to name its backup.
    else if (c.kind === 'file' && c.content?.from !== 'generate' && c.precondition.exists && c.precondition.sha256) body.push(`bk_file ${q(c.target, '-', c.precondition.sha256)}`);
    else body.push(`${backup} ${q(c.target)}`);
    if ((c.kind === 'file' || c.kind === 'unit') && c.action !== 'delete') tempDirs.add(filePath(c).replace(/\/[^/]*$/, '') || '/');
  }
  for (const dir of tempDirs) body.push(`stale ${quote(dir)}`);
  // seal reads a short list from its heredoc itself (no copy in $W first: one process fewer).
  const managed = managedLines(plan.managedAfter);
  if (managed.length < PACK_FROM) body.push(`seal ${heredoc(managed)}`);
  else body.push(listFile('managed.in', managed, memo), 'seal < "$W/managed.in"');

  // Wipes first: the clients stop before their chain data goes and before new network files land.
  const wipes = plan.changes.filter((c) => c.kind === 'wipe' && c.wipe);
  for (const c of wipes) body.push(`wipe ${q(...c.wipe!.stopUnits, '--', ...c.wipe!.paths)}`);

  const users = plan.changes.filter((c) => c.kind === 'user');
  const dirs = plan.changes.filter((c) => c.kind === 'directory');
  const files = plan.changes.filter((c) => c.kind === 'file');
  const units = plan.changes.filter((c) => c.kind === 'unit' && c.action !== 'restart');
  const restarts = plan.changes.filter((c) => c.action === 'restart');

  // 3. Users and directories first: files need their owners and parents.
  for (const c of users.filter((u) => u.action !== 'delete')) {
    const u = c.user;
    if (!u) throw new NodeformError('INTERNAL', `user change for ${c.target} has no user settings`);
    const rest = [u.group ?? c.target, u.groups.join(','), u.shell, u.home ?? ''];
    body.push(c.action === 'create' ? `uadd ${q(c.target, u.system ? 1 : 0, ...rest)}` : `umod ${q(c.target, ...rest)}`);
  }
  const creates = dirs.filter((d) => d.action === 'create');
  const mkdMany = creates.length >= BULK_THRESHOLD;
  if (mkdMany) body.push(listFile('mkd.in', creates.map((c) => [c.target, c.after!.mode, c.after!.owner, c.after!.group].join('\t')).join('\n'), memo), 'mkd_many < "$W/mkd.in"');
  for (const c of dirs.filter((d) => d.action !== 'delete')) {
    const a = c.after!;
    if (c.action === 'create' && mkdMany) continue;
    body.push(c.action === 'create' ? `mkd ${q(c.target, a.mode, a.owner, a.group)}` : `attrs ${q(c.target, a.mode, a.owner, a.group)}`);
  }

  // 4. Units going away stop before their files go.
  for (const c of units.filter((u) => u.action === 'delete')) body.push(`ustop ${q(c.target)}`);

  // 5. File and unit file content.
  const written: { path: string; sha: string; secret: boolean; moved?: number }[] = [];
  const restored: string[] = [];
  // Each staged upload is moved into place at its last use and copied at the others.
  const lastUse = new Map<string, string>();
  for (const c of [...files, ...units]) if (c.action !== 'delete' && c.after && has(c, 'content') && staged.has(c.after.sha256)) lastUse.set(c.after.sha256, filePath(c));
  let unitFilesChanged = false;
  if (bulk.writes.length > 0) {
    body.push(listFile('put', bulk.writes.map((w) => `${w.path}\t${w.mode}\t${w.owner}\t${w.group}\t${w.sha}`).join('\n'), memo));
    // The files' bytes: one tar, gzipped; the same for every host that gets the same files (a name holds the run id).
    // Owner, group and mode travel in it when every name fits (tar sets them as it writes); else one chown and chmod
    // per owner and mode after it (own_many).
    const owned = bulk.writes.every((w) => tarOwnerName(w.owner) && tarOwnerName(w.group) && /^[0-7]{3,4}$/.test(w.mode));
    const key = `tar\u0000${owned}\u0000${bulk.writes.map((w) => `${w.tarName}\u0000${w.sha}${owned ? `\u0000${w.mode}\u0000${w.owner}\u0000${w.group}` : ''}`).join('\u0000')}`;
    const entry = (w: BulkWrite): TarFile => ({
      name: w.tarName,
      data: bytesOf(w.resource),
      ...(owned ? { mode: parseInt(w.mode, 8), owner: { user: w.owner, group: w.group } } : { mode: 0o600 }),
    });
    body.push(`put_many "$W/put" ${owned ? 'owned' : '-'} ${heredoc(memo.pack(key, () => tarArchive(bulk.writes.map(entry))))}`);
    if (!owned) {
      for (const [key, paths] of ownerGroups(bulk.writes)) {
        const [owner = '', mode = ''] = key.split('\t');
        body.push(listFile('own.in', paths.join('\n'), memo), `own_many ${q(owner, mode)} < "$W/own.in"`);
      }
    }
    body.push('mv_many "$W/put" 5');
  }
  for (const [generation, changes] of bulk.restores) {
    body.push(listFile('rs.in', changes.map((c) => c.target).join('\n'), memo), `restore_many ${generation} < "$W/rs.in"`);
    for (const [key, paths] of ownerGroups(changes.map((c) => ({ path: c.target, mode: c.after!.mode, owner: c.after!.owner, group: c.after!.group })))) {
      const [owner = '', mode = ''] = key.split('\t');
      body.push(listFile('own.in', paths.join('\n'), memo), `own_many ${q(owner, mode)} < "$W/own.in"`);
    }
    body.push('mv_many "$W/rs.list" 2');
  }
  if (bulk.deletes.length > 0) body.push(listFile('del.in', bulk.deletes.join('\n'), memo), 'del_many < "$W/del.in"');
  for (const c of [...files, ...units]) {
    if (bulk.changes.has(c)) continue;
    const path = filePath(c);
    if (c.action === 'delete') {
      body.push(`del ${q(path)}`);
      if (c.kind === 'unit') unitFilesChanged = true;
      continue;
    }
    const a = c.after;
    if (!a) continue;
    // A secret's plan holds no plain sha256 (only its keyed digest, checked above): it comes from the declared resource.
    const secret = c.kind === 'file' && c.secret && c.content?.from === 'desired';
    const sha = secret ? (contentOf.get(path)?.sha256 ?? '') : a.sha256;
    if (has(c, 'content')) {
      if (c.content?.from === 'backup') {
        // The backup's bytes and hash come from the host's record: its original, or the generation undone.
        const ref = c.content.record === 'original' ? `original:${originalKey(c.kind, c.target)}` : c.content.generation;
        const flag = c.kind === 'file' && c.secret ? [SECRET_FLAG] : [];
        body.push(`restore ${q(c.kind, c.target, path, a.mode, a.owner, a.group, ref, ...flag)}`);
        restored.push(`chkb ${q(c.kind, c.target, path, ref, ...flag)}`);
        if (c.kind === 'unit') unitFilesChanged = true;
        continue;
      } else if (c.content?.from === 'generate') {
        body.push(`gen ${q(path, a.mode, a.owner, a.group)}`);
        continue; // never read back, not even to verify
      } else if (!secret && staged.has(sha)) {
        const size = stagedSize(staged.get(sha)!);
        const last = lastUse.get(sha) === path;
        body.push(`stage ${q(path, a.mode, a.owner, a.group, sha, size, last ? 1 : 0)}`);
        // Moved, it may be the staged file itself (hashed as it arrived); copied, it is read back by its hash.
        written.push({ path, sha, secret, ...(last ? { moved: size } : {}) });
        if (c.kind === 'unit') unitFilesChanged = true;
        continue;
      } else {
        const resource = contentOf.get(path);
        if (!resource) throw new NodeformError('INTERNAL', `no declared content for ${path}`);
        body.push(`put ${q(path, a.mode, a.owner, a.group, sha, ...(secret ? ['s'] : []))} ${heredoc(base64Lines(bytesOf(resource)))}`);
      }
      written.push({ path, sha, secret });
      if (c.kind === 'unit') unitFilesChanged = true;
    } else if (has(c, 'mode') || has(c, 'owner') || has(c, 'group')) {
      body.push(`attrs ${q(path, a.mode, a.owner, a.group)}`);
    }
  }
  if (unitFilesChanged) body.push('sctl daemon-reload');

  // 6. Enablement, then activity, then restarts of what the plan names.
  const verifyActive: { name: string; state: string }[] = [];
  for (const c of units.filter((u) => u.action !== 'delete')) {
    if (!c.unit) continue;
    if (has(c, 'enabled')) body.push(`sctl ${c.unit.enabled ? 'enable' : 'disable'} -- ${quote(c.target)}`);
    if (has(c, 'active')) body.push(`sctl ${c.unit.active ? 'start' : 'stop'} -- ${quote(c.target)}`);
    if (has(c, 'active') || c.action === 'create') verifyActive.push({ name: c.target, state: c.unit.active ? 'active' : 'inactive' });
  }
  for (const c of restarts) {
    body.push(`sctl restart -- ${quote(c.target)}`);
    verifyActive.push({ name: c.target, state: 'active' });
  }
  // What a wipe stopped starts again (a no-op for units a restart already started).
  for (const unit of new Set(wipes.flatMap((c) => c.wipe!.stopUnits))) {
    body.push(`sctl start -- ${quote(unit)}`);
    verifyActive.push({ name: unit, state: 'active' });
  }

  // 7. Removals that need the files gone first: directories deepest first, then users.
  for (const c of dirs.filter((d) => d.action === 'delete')) body.push(`${c.recursive ? 'rmtree' : 'rmd'} ${q(c.target)}`);
  for (const c of users.filter((u) => u.action === 'delete')) body.push(`udel ${q(c.target)}`);
  for (const c of plan.changes.filter((g) => g.kind === 'group' && g.action === 'delete')) body.push(`gdel ${q(c.target)}`);

  // 8. Read back, record, prune.
  for (const w of written) {
    // A moved upload: in place only if the rename worked, which its size confirms; the hash was checked as it arrived.
    if (w.moved !== undefined) body.push(`chks ${q(w.path, w.moved, w.sha)}`);
    else body.push(`chk ${q(w.path, w.sha, ...(w.secret ? ['s'] : []))}`);
  }
  // What was written or restored together was read back as it was moved into place (mv_many).
  body.push(...restored);
  // Units that must run: still running, not restarted on its own, some seconds after (a client refusing a flag
  // starts, then exits and is restarted); one wait for them all.
  const watched = options.upForSeconds ? [...new Set(verifyActive.filter((v) => v.state === 'active').map((v) => v.name))] : [];
  for (const v of verifyActive) if (!watched.includes(v.name)) body.push(`chk_active ${q(v.name, v.state)}`);
  if (watched.length > 0) body.push(`up_for ${q(options.upForSeconds ?? 0, ...watched)}`);
  // Files made on the host (secrets) are never read, not even hashed into the record of what was applied.
  const madeOnHost = (desired?.resources ?? []).flatMap((r) => (r.kind === 'file' && r.generate ? [r.path] : []));
  if (madeOnHost.length > 0) body.push(`NOHASH=${quote(`|${madeOnHost.join('|')}|`)}`);
  body.push('finish');
  // The uploads this run used (a moved one is gone already); another run's upload in progress stays.
  if (staged.size > 0) body.push(`unstage ${[...staged.keys()].map((sha) => quote(sha)).join(' ')}`);

  // Everything, helpers included, inside one function: a cut-off script fails to parse and runs nothing.
  const script = ['main() {', PRELUDE, ...body.map((l) => `  ${l}`), '}', 'main "$@"', ''].join('\n');
  const command = `sh -s -- ${q(options.stateDir, options.runId, options.controller, options.lockTimeoutSeconds, options.keepGenerations, options.action, plan.changes.length)}`;
  return { command, script };
}

/** The managed list's lines (records.ts MANAGED_FIELDS): one per target, a secret file flagged. */
export function managedLines(entries: ManagedEntry[]): string {
  const seen = new Set<string>();
  const lines: string[] = [];
  for (const e of entries) {
    const key = `${e.kind}\t${e.target}`;
    if (!seen.has(key)) {
      seen.add(key);
      lines.push(e.kind === 'file' && e.secret ? `${key}\t${SECRET_FLAG}` : key);
    }
  }
  return lines.join('\n');
}

/** The name of a target's original record in STATE/original: the sha256 of its kind and target (the script's rec). */
function originalKey(kind: string, target: string): string {
  return sha256Hex(`${kind}\t${target}\n`);
}
