// Builds the one host-side script that applies a HostPlan. Pure: it returns text.
//
// The script is wrapped in a function and called on its last line, so a script cut off in transit
// is a syntax error that runs nothing. On the host it: takes the lock (waiting, or taking over a
// dead or unreadable holder's), checks every change's precondition, opens a generation, backs up what
// it will touch, seals the record (every write checked and fsynced, the new managed list and the
// completion line included) before the first change, writes each file to a temp file in the same
// directory and renames it into place (owner and mode set and fsynced before), reloads systemd only
// when unit files changed, restarts only what the plan names, reads back every file it wrote, completes
// the generation by renames and prunes old ones. Stopped before its first change, it removes what it
// recorded; failing after, it says PARTIAL with the generation (run.ts then rolls the host back).

import { NodeformError } from '../errors.js';
import type { Change, HostPlan } from '../model/plan.js';
import type { Desired, FileResource, LocalFile, ManagedEntry, UnitResource } from '../model/types.js';
import { command, quote } from '../shell/quote.js';
import { UNIT_DIR } from '../model/types.js';
import { KEY_FILE, KEY_SH } from '../facts/key.js';

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
    const bytes = bytesOf(resource);
    if (bytes.length > STAGE_THRESHOLD) staged.set(resource.sha256, { bytes });
  }
  return staged;
}

/**
 * One exec that says, for each sha256, what STATE/staging holds of it: `SHA have SIZE` (complete and verified) or
 * `SHA part SIZE` (the bytes of an upload that was cut, 0 when none): an upload resumes from there.
 */
export function stagedQueryCommand(stateDir: string, shas: string[]): string {
  const script =
    'd="$1/staging"; shift; for h; do ' +
    'if [ -f "$d/$h" ]; then echo "$h have $(stat -c %s "$d/$h")"; ' +
    'elif [ -f "$d/$h.part" ]; then echo "$h part $(stat -c %s "$d/$h.part")"; else echo "$h part 0"; fi; done';
  return `sh -c ${quote(script)} sh ${command([stateDir, ...shas])}`;
}

/** Exit code of an upload that ended short (its input was cut): what arrived is kept for the next one to resume. */
export const EXIT_UPLOAD_SHORT = 75;

/**
 * The upload exec for one staged file: stdin carries its bytes from `offset` to the end, appended to
 * STATE/staging/SHA.part as they arrive (a cut upload keeps what arrived, and the next resumes there). The bytes
 * already there and the new ones are hashed in the same pass; only a complete file of the right sha256 is
 * fsynced and renamed to STATE/staging/SHA. A damaged one is removed. Nothing outside STATE/staging is touched.
 */
export function stageCommand(stateDir: string, sha256: string, offset: number, total: number): string {
  const script = [
    'umask 077; d="$1/staging"; h=$2; off=$3; total=$4; p="$d/$h.part"',
    'mkdir -p "$d" || exit 1',
    '[ "$off" != 0 ] || : > "$p" || exit 1',
    'have=$(stat -c %s "$p" 2>/dev/null || echo none)',
    '[ "$have" = "$off" ] || { echo "the host holds $have bytes of the upload of $h, not $off: another upload of it ran at the same time; apply again" >&2; rm -f "$p"; exit 1; }',
    'got=$({ head -c "$off" "$p"; tee -a "$p"; } | sha256sum | cut -c1-64)',
    'size=$(stat -c %s "$p")',
    `[ "$size" -lt "$total" ] && { echo "the upload of $h ended at byte $size of $total: the next apply resumes there" >&2; exit ${EXIT_UPLOAD_SHORT}; }`,
    '[ "$size" = "$total" ] && [ "$got" = "$h" ] || { rm -f "$p"; echo "upload of $h arrived damaged ($size bytes, sha256 $got): did the file change on the controller since it was hashed? apply again" >&2; exit 1; }',
    'sync "$p" && mv -f "$p" "$d/$h" || { echo "cannot keep the upload of $h in $d (is its filesystem full?)" >&2; exit 1; }',
  ].join('\n');
  return `sh -c ${quote(script)} sh ${command([stateDir, sha256, String(offset), String(total)])}`;
}

export interface ScriptOptions {
  stateDir: string;
  runId: string;
  controller: string;
  lockTimeoutSeconds: number;
  keepGenerations: number;
  /** Recorded with the generation: apply, reset-previous, reset-original. */
  action: string;
}

/** Exit codes the script uses besides 0 and 1. */
export const EXIT_DRIFT = 3;
export const EXIT_LOCKED = 4;

const PRELUDE = String.raw`set -u
S=$1 RUN=$2 CTL=$3 LOCK_TIMEOUT=$4 KEEP=$5 ACTION=$6 NCHANGES=$7
TAB=$(printf '\t')
umask 077
CUR_TMP= HAVE_LOCK=0 G= G_ID= STARTED= FINISHED=- DRIFT=0 FAILED=0 CHANGED=0 NEW_ORIG= NEW_BLOBS= KEY=
FULL='(is its filesystem full?)'
now() { date -u +%Y-%m-%dT%H:%M:%SZ; }
say() { printf '%s\n' "$*"; }
unrecord() { # a run stopped before its first change leaves no record: its generation, new originals and backups go
  [ "$CHANGED" = 0 ] || return 0
  [ -z "$G" ] || rm -rf "$G"
  for k in $NEW_ORIG; do rm -f "$S/original/$k"; done
  for b in $NEW_BLOBS; do rm -f "$S/blobs/$b"; done
  rm -f "$S/managed.new" "$S"/original/*.tmp "$S"/blobs/*.tmp 2>/dev/null
  G= NEW_ORIG= NEW_BLOBS=
}
cleanup() {
  [ -n "$CUR_TMP" ] && rm -f "$CUR_TMP"
  unrecord
  # Released by one rename: the lock never stands without its holder.
  [ "$HAVE_LOCK" = 1 ] && mv -T "$S/lock" "$S/lock.old.$$" && rm -rf "$S/lock.old.$$"
  HAVE_LOCK=0
}
fail() {
  if [ "$CHANGED" = 0 ]; then say "ERROR$TAB$*; nothing was changed"
  else say "PARTIAL$TAB$G_ID"; say "ERROR$TAB$*; the host was changed in part (generation $G_ID holds what it was)"; fi
  cleanup; exit 1
}
trap cleanup EXIT
trap 'cleanup; exit 129' HUP INT TERM PIPE
field() { printf '%s\n' "$1" | cut -f"$2"; }
lock() {
  mkdir -p "$S" && chmod 700 "$S" || fail "cannot create state directory $S"
  boot=$(cat /proc/sys/kernel/random/boot_id 2>/dev/null || echo -)
  waited=0
  while :; do
    # The lock directory appears whole, holder inside, by one rename; a rename onto it fails while it exists.
    rm -rf "$S/lock.new.$$" && mkdir "$S/lock.new.$$" || fail "cannot create lock in $S"
    if ! printf '%s\t%s\t%s\t%s\t%s\n' "$RUN" "$CTL" "$$" "$boot" "$(now)" > "$S/lock.new.$$/holder"; then
      rm -rf "$S/lock.new.$$"; fail "cannot write the lock holder in $S $FULL"
    fi
    if mv -T "$S/lock.new.$$" "$S/lock" 2>/dev/null; then HAVE_LOCK=1; return 0; fi
    rm -rf "$S/lock.new.$$"
    h=; [ -f "$S/lock/holder" ] && IFS= read -r h < "$S/lock/holder"
    hpid=$(field "$h" 3); hboot=$(field "$h" 4)
    # A holder line always has a pid and a boot id (it is written whole before the lock appears, and checked):
    # one that cannot be read (empty, cut short: a run killed while its disk was full) has no live holder.
    dead=
    case $hpid in '' | *[!0-9]*) dead="unreadable holder (empty or cut short): taken over as dead" ;; esac
    [ -n "$dead" ] || [ -n "$hboot" ] || dead="unreadable holder (empty or cut short): taken over as dead"
    if [ -z "$dead" ] && { [ "$hboot" != "$boot" ] || ! kill -0 "$hpid" 2>/dev/null; }; then dead=$h; fi
    if [ -n "$dead" ]; then
      # Its holder is gone (process dead, host rebooted, holder unreadable): move it aside; only one taker wins the rename.
      if mv -T "$S/lock" "$S/lock.stale.$$" 2>/dev/null; then rm -rf "$S/lock.stale.$$"; say "STALE$TAB$dead"; fi
      continue
    fi
    if [ "$waited" -ge "$LOCK_TIMEOUT" ]; then say "LOCKED$TAB$h"; exit 4; fi
    sleep 1; waited=$((waited + 1))
  done
}
drift() { say "DRIFT$TAB$1$TAB$2"; DRIFT=1; }
sha() { sha256sum < "$1" | cut -c1-64; }
pre_file() {
  if [ "$2" = absent ]; then { [ -e "$1" ] || [ -L "$1" ]; } && drift "$1" "exists now; the plan expected it absent"; return 0; fi
  if [ ! -f "$1" ]; then drift "$1" "is gone or no longer a file; the plan expected sha256 $2"; return 0; fi
  h=$(sha "$1"); [ "$h" = "$2" ] || drift "$1" "content changed since the plan (sha256 $h, plan expected $2)"
}
${KEY_SH}
pre_secret() { # path digest|absent: a secret's precondition by its digest under the host's key; no hash is ever said
  if [ "$2" = absent ]; then { [ -e "$1" ] || [ -L "$1" ]; } && drift "$1" "exists now; the plan expected it absent"; return 0; fi
  if [ ! -f "$1" ]; then drift "$1" "is gone or no longer a file; the plan expected it (a secret)"; return 0; fi
  if [ "$2" = - ]; then drift "$1" "cannot be checked: the plan has no digest of this secret (the host's key could not be read or made)"; return 0; fi
  if [ ! -f "$S/${KEY_FILE}" ]; then drift "$1" "cannot be checked: the host's digest key $S/${KEY_FILE} is gone since the plan"; return 0; fi
  keyed "$(sha "$1")"; [ "$D" = "$2" ] || drift "$1" "content changed since the plan (a secret: no hash shown)"
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
  last=0; for d in "$S"/generations/*; do [ -d "$d" ] && last=$(basename "$d"); done
  G_ID=$(expr "$last" + 1)
  mkdir "$S/generations/$(printf '%06d' "$G_ID")" || fail "cannot create generation $G_ID in $S $FULL"
  G=$S/generations/$(printf '%06d' "$G_ID")
  if [ -f "$S/managed" ]; then cp "$S/managed" "$G/managed.before"; else : > "$G/managed.before"; fi ||
    fail "cannot copy what nodeform manages into $G $FULL"
  : > "$G/entries" || fail "cannot write $G/entries $FULL"
  STARTED=$(now)
  { metaline - 0 > "$G/meta.tmp" && mv -f "$G/meta.tmp" "$G/meta"; } || fail "cannot write $G/meta $FULL"
}
rec() { # kind target existed sha mode owner group enabled active [user: shell home group groups]
  line=$1; shift; for f in "$@"; do line="$line$TAB$f"; done
  printf '%s\n' "$line" >> "$G/entries" || fail "cannot record $1 in $G/entries $FULL"
  k=$(printf '%s\n' "$line" | cut -f1,2 | sha256sum | cut -c1-64)
  [ ! -f "$S/original/$k" ] || return 0
  { printf '%s\n' "$line" > "$S/original/$k.tmp" && sync "$S/original/$k.tmp" && mv -f "$S/original/$k.tmp" "$S/original/$k"; } ||
    fail "cannot record the original state of $1 in $S/original $FULL"
  NEW_ORIG="$NEW_ORIG $k"
}
blob() {
  B=$(sha "$1")
  [ -f "$S/blobs/$B" ] && return 0
  cp "$1" "$S/blobs/$B.tmp" && sync "$S/blobs/$B.tmp" && mv -f "$S/blobs/$B.tmp" "$S/blobs/$B" || fail "cannot back up $1 into $S/blobs $FULL"
  NEW_BLOBS="$NEW_BLOBS $B"
}
seal() { # stdin: what nodeform manages after this run. Written, with the completion record, before any change.
  cat > "$S/managed.new" || fail "cannot write $S/managed.new $FULL"
  # The completion line with a stand-in finish time of the same length, rewritten in place at the end.
  metaline 0000-00-00T00:00:00Z 1 > "$G/meta.done" || fail "cannot write $G/meta.done $FULL"
  sync "$G/entries" "$G/managed.before" "$G/meta" "$G/meta.done" "$S/managed.new" "$G" "$S/generations" "$S/original" "$S/blobs" "$S" ||
    fail "cannot flush the record of generation $G_ID to disk"
  CHANGED=1
  say "GEN$TAB$G_ID"
}
bk_file() {
  if [ -f "$1" ]; then blob "$1"; set -- "$1" $(stat -c '%a %U %G' -- "$1"); rec file "$1" 1 "$B" "$2" "$3" "$4" - -
  else rec file "$1" 0 - - - - - -; fi
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
tmpfor() { CUR_TMP=$(dirname "$1")/.nodeform-tmp.$(basename "$1").$$; }
inst() { # path mode owner group sha [s: a secret, whose hashes are never said]
  h=$(sha "$CUR_TMP")
  if [ "$h" != "$5" ]; then [ "${'$'}{6:-}" != s ] || fail "content for $1 arrived damaged"; fail "content for $1 arrived damaged (sha256 $h, expected $5)"; fi
  chown "$3:$4" "$CUR_TMP" && chmod "$2" "$CUR_TMP" && sync "$CUR_TMP" && mv -f "$CUR_TMP" "$1" || fail "cannot install $1"
  CUR_TMP=; sync "$(dirname "$1")" 2>/dev/null
  say "WROTE$TAB$1"
}
put() { tmpfor "$1"; base64 -d > "$CUR_TMP" || fail "cannot write $1"; inst "$@"; }
stage() { # path mode owner group sha size last(1|0): an upload, verified as it arrived in the state directory
  tmpfor "$1"; f=$S/staging/$5
  [ -f "$f" ] || fail "the upload of $1 (sha256 $5) is missing from $S/staging"
  # Directories compared (overlayfs gives a file the device of the layer it is on, a directory the mount's).
  if [ "$7" = 1 ] && [ "$(stat -c %d -- "$S/staging")" = "$(stat -c %d -- "$(dirname "$1")")" ]; then
    # Its last use on the same filesystem: moved beside the target (a rename, no copy, no second hash), then renamed.
    mv -f "$f" "$CUR_TMP" || fail "cannot write $1"
    [ "$(stat -c %s -- "$CUR_TMP")" = "$6" ] || fail "the upload of $1 holds $(stat -c %s -- "$CUR_TMP") bytes, expected $6"
    chown "$3:$4" "$CUR_TMP" && chmod "$2" "$CUR_TMP" && sync "$CUR_TMP" && mv -f "$CUR_TMP" "$1" || fail "cannot install $1"
    CUR_TMP=; sync "$(dirname "$1")" 2>/dev/null
    say "WROTE$TAB$1"
  else
    cp "$f" "$CUR_TMP" || fail "cannot copy the upload of $1 (sha256 $5) from $S/staging $FULL"; inst "$1" "$2" "$3" "$4" "$5"
  fi
}
gen() { # path mode owner group: 32 random bytes as hex, made here and never sent anywhere
  tmpfor "$1"
  od -An -tx1 -N32 /dev/urandom | tr -d ' \n' > "$CUR_TMP" || fail "cannot generate $1"
  chown "$3:$4" "$CUR_TMP" && chmod "$2" "$CUR_TMP" && sync "$CUR_TMP" && mv -f "$CUR_TMP" "$1" || fail "cannot install $1"
  CUR_TMP=; say "GENERATED$TAB$1"
}
pre_exists() {
  if [ "$2" = absent ]; then { [ -e "$1" ] || [ -L "$1" ]; } && drift "$1" "exists now; the plan expected it absent"; return 0; fi
  [ -f "$1" ] || drift "$1" "is gone; the plan expected a file"
}
restore() { tmpfor "$1"; cp "$S/blobs/$5" "$CUR_TMP" || fail "the backup of $1 (sha256 $5) is missing from $S/blobs"; inst "$@"; }
attrs() { chown "$3:$4" "$1" && chmod "$2" "$1" || fail "cannot set owner or mode of $1"; say "ATTRS$TAB$1"; }
del() { rm -f -- "$1" || fail "cannot remove $1"; say "REMOVED$TAB$1"; }
mkd() { mkdir -p -- "$1" && chown "$3:$4" "$1" && chmod "$2" "$1" || fail "cannot create directory $1"; say "DIR$TAB$1"; }
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
  h=$(sha "$1" 2>/dev/null); [ "$h" = "$2" ] && return 0
  [ "${'$'}{3:-}" != s ] || fail "read-back of $1 gave other content than written"; fail "read-back of $1 gave sha256 $h, expected $2"
}
chks() { # path size: a moved upload (hashed as it arrived) read back by its size
  [ "$(stat -c %s -- "$1" 2>/dev/null)" = "$2" ] || fail "read-back of $1 gave $(stat -c %s -- "$1" 2>/dev/null) bytes, expected $2"
}
chk_active() {
  a=$(systemctl is-active -- "$1" 2>/dev/null)
  if [ "$a" != "$2" ]; then printf 'UNIT\t%s\tis %s after apply, expected %s\n' "$1" "$a" "$2"; FAILED=1; fi
}
prune() {
  n=0
  for d in $(ls -r "$S/generations"); do n=$((n + 1)); [ "$n" -gt "$KEEP" ] && rm -rf "$S/generations/$d"; done
  # Backups no record refers to go; when the lists cannot be written whole, none does.
  if cat "$S"/generations/*/entries "$S"/original/* 2>/dev/null | cut -f4 | sort -u > "$S/.refs" && ls "$S/blobs" | sort > "$S/.blobs"; then
    comm -23 "$S/.blobs" "$S/.refs" | while IFS= read -r b; do rm -f "$S/blobs/$b"; done
  fi
  rm -f "$S/.refs" "$S/.blobs"
}
finish() {
  mv -f "$S/managed.new" "$S/managed" || fail "cannot record what nodeform manages"
  FINISHED=$(now)
  metaline "$FINISHED" 1 1<> "$G/meta.done" 2>/dev/null # same length as the stand-in line: rewritten in place
  mv -f "$G/meta.done" "$G/meta" || fail "cannot mark generation $G_ID complete"
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
  return (data.toString('base64').match(/.{1,76}/g) ?? ['']).join('\n');
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

export function buildApplyScript(plan: HostPlan, desired: Desired | undefined, options: ScriptOptions): { command: string; script: string } {
  const staged = stagedContent(plan, desired);
  const contentOf = new Map<string, FileResource | UnitResource>();
  for (const r of desired?.resources ?? []) {
    if (r.kind === 'file') contentOf.set(r.path, r);
    if (r.kind === 'unit') contentOf.set(r.path, r);
  }
  const body: string[] = ['lock'];

  // 1. Preconditions, all checked before anything changes.
  for (const c of plan.changes) {
    if (c.action === 'restart' || c.kind === 'wipe' || c.kind === 'group') continue; // a wipe's trigger is checked as the file it is; a group's removal tolerates its absence
    const p = c.precondition;
    if (c.content?.from === 'generate') body.push(`pre_exists ${q(c.target, p.exists ? 'present' : 'absent')}`);
    else if (c.kind === 'file' && c.secret && c.content?.from === 'desired') {
      body.push(`pre_secret ${q(c.target, p.exists ? (p.keyedSha256 ?? '-') : 'absent')}`);
      const resource = contentOf.get(c.target);
      if (resource) body.push(`want_secret ${q(c.target, c.after?.keyedSha256 ?? '-', resource.sha256)}`);
    }
    else if (c.kind === 'file' || c.kind === 'unit') body.push(`pre_file ${q(filePath(c), p.exists ? (p.sha256 ?? '') : 'absent')}`);
    else if (c.kind === 'directory') body.push(`pre_dir ${q(c.target, p.exists ? 'present' : 'absent')}`);
    else body.push(`pre_user ${q(c.target, p.exists ? 'present' : 'absent')}`);
  }
  body.push(`[ "$DRIFT" = 0 ] || exit ${EXIT_DRIFT}`, 'begin');

  // 2. Backups of everything about to change, and stale temp files of a cut-off run removed.
  const tempDirs = new Set<string>();
  for (const c of plan.changes) {
    if (c.action === 'restart' || c.kind === 'wipe') continue;
    const backup = { file: 'bk_file', directory: 'bk_dir', unit: 'bk_unit', user: 'bk_user', group: 'bk_group' }[c.kind];
    body.push(c.kind === 'user' && c.user ? `bk_user ${q(c.target, c.user.group ?? c.target, c.user.groups.join(','))}` : `${backup} ${q(c.target)}`);
    if ((c.kind === 'file' || c.kind === 'unit') && c.action !== 'delete') tempDirs.add(filePath(c).replace(/\/[^/]*$/, '') || '/');
  }
  for (const dir of tempDirs) body.push(`rm -f ${quote(dir)}/.nodeform-tmp.*`);
  body.push(`seal ${heredoc(managedLines(plan.managedAfter))}`);

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
  for (const c of dirs.filter((d) => d.action !== 'delete')) {
    const a = c.after!;
    body.push(c.action === 'create' ? `mkd ${q(c.target, a.mode, a.owner, a.group)}` : `attrs ${q(c.target, a.mode, a.owner, a.group)}`);
  }

  // 4. Units going away stop before their files go.
  for (const c of units.filter((u) => u.action === 'delete')) body.push(`ustop ${q(c.target)}`);

  // 5. File and unit file content.
  const written: { path: string; sha: string; secret: boolean; moved?: number }[] = [];
  // Each staged upload is moved into place at its last use and copied at the others.
  const lastUse = new Map<string, string>();
  for (const c of [...files, ...units]) if (c.action !== 'delete' && c.after && has(c, 'content') && staged.has(c.after.sha256)) lastUse.set(c.after.sha256, filePath(c));
  let unitFilesChanged = false;
  for (const c of [...files, ...units]) {
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
        body.push(`restore ${q(path, a.mode, a.owner, a.group, c.content.sha256)}`);
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
    if (w.moved !== undefined) body.push(`chks ${q(w.path, w.moved)}`);
    else body.push(`chk ${q(w.path, w.sha, ...(w.secret ? ['s'] : []))}`);
  }
  for (const v of verifyActive) body.push(`chk_active ${q(v.name, v.state)}`);
  body.push('finish');
  // The uploads this run used (a moved one is gone already); another run's upload in progress stays.
  if (staged.size > 0) body.push(`rm -f ${[...staged.keys()].map((sha) => `"$S/staging/"${quote(sha)}`).join(' ')}`);

  // Everything, helpers included, inside one function: a cut-off script fails to parse and runs nothing.
  const script = ['main() {', PRELUDE, ...body.map((l) => `  ${l}`), '}', 'main "$@"', ''].join('\n');
  const command = `sh -s -- ${q(options.stateDir, options.runId, options.controller, options.lockTimeoutSeconds, options.keepGenerations, options.action, plan.changes.length)}`;
  return { command, script };
}

export function managedLines(entries: ManagedEntry[]): string {
  const seen = new Set<string>();
  const lines: string[] = [];
  for (const e of entries) {
    const line = `${e.kind}\t${e.target}`;
    if (!seen.has(line)) {
      seen.add(line);
      lines.push(line);
    }
  }
  return lines.join('\n');
}
