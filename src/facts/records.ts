// The facts probe's output records, defined once: probe.ts prints them (its printf formats are made here) and
// parse.ts reads them (by the field names here). One record a line: a tag, then TAB-separated fields. Pure.
//
// Some records carry a line of nodeform's record on the host as is (the managed list, a generation's meta and
// entries, the lock holder): the apply script writes those lines (src/apply/script.ts), in the field orders
// MANAGED_FIELDS, ENTRY_FIELDS, GENERATION_FIELDS and LOCK_FIELDS below.

/**
 * A line of STATE/managed and of a generation's managed.before. secret: SECRET_FLAG for a secret file (its hashes
 * leave the host only keyed, facts/key.ts, even once it is no longer declared), absent otherwise (and in records
 * written before the flag existed).
 */
export const MANAGED_FIELDS = ['kind', 'target', 'secret'] as const;
/** The secret field's value in a managed line and a file's entry line. */
export const SECRET_FLAG = 's';
/** A line of a generation's entries and of STATE/original/*: the state of a target before nodeform changed it. */
const ENTRY_BASE_FIELDS = ['kind', 'target', 'existed', 'sha256', 'mode', 'owner', 'group', 'enabled', 'active'] as const;
/** What a user entry adds when the user existed: its shell, home, primary group and groups (comma-separated). */
const ENTRY_USER_FIELDS = ['shell', 'home', 'primaryGroup', 'groups'] as const;
export const ENTRY_FIELDS = [...ENTRY_BASE_FIELDS, ...ENTRY_USER_FIELDS] as const;
/** What a file entry adds: SECRET_FLAG when the file was a secret (in the place a user entry has its shell). */
export const ENTRY_FILE_FIELDS = [...ENTRY_BASE_FIELDS, 'secret'] as const;
/** How many fields an entry line has without the user's details. */
export const ENTRY_BASE_LENGTH = ENTRY_BASE_FIELDS.length;
/** A generation's meta line. */
export const GENERATION_FIELDS = ['id', 'action', 'startedAt', 'finishedAt', 'complete', 'changes', 'controller'] as const;
/** The lock holder's line. */
export const LOCK_FIELDS = ['runId', 'controller', 'pid', 'bootId', 'since'] as const;
if (LOCK_FIELDS[2] !== 'pid' || LOCK_FIELDS[3] !== 'bootId') throw new Error('held() reads the holder\'s pid and boot id as its third and fourth fields');

/**
 * sh: held says whether a live run holds the host lock, STATE/lock (S): its holder line (in l, its pid in hp, its
 * boot id in hb) names a process that runs, on this boot (boot: the boot id, read if empty). Not held: no holder,
 * one that cannot be read (no pid or boot id: cut short), or one that is gone. The apply script takes over a lock
 * that is not held (apply/script.ts lock()); the probe waits while one is (facts/probe.ts). Needs TAB.
 */
export const HELD_SH = String.raw`held() {
  l= hp= hb=; [ -f "$S/lock/holder" ] || return 1
  { IFS= read -r l < "$S/lock/holder"; } 2>/dev/null
  r=${'$'}{l#*"$TAB"}; r=${'$'}{r#*"$TAB"}; hp=${'$'}{r%%"$TAB"*}; r=${'$'}{r#*"$TAB"}; hb=${'$'}{r%%"$TAB"*}
  [ -n "$boot" ] || { IFS= read -r boot < /proc/sys/kernel/random/boot_id; } 2>/dev/null || boot=-
  case $hp in '' | *[!0-9]*) return 1 ;; esac
  [ -n "$hb" ] && [ "$hb" = "$boot" ] && kill -0 "$hp" 2>/dev/null
}`;

export const RECORDS = {
  /** A path noted: its type (file, directory, symlink, other), or `missing`. Stat and hash follow in S and H. */
  path: { tag: 'P', fields: ['path', 'type'] },
  /** `stat` of a noted path: mode in octal (special bits included), owner and group names, size in bytes. */
  stat: { tag: 'S', fields: ['mode', 'owner', 'group', 'size', 'path'] },
  /** sha256 of a noted file (`-`: not hashed, a secret made on the host, or unreadable). */
  hash: { tag: 'H', fields: ['sha256', 'path'] },
  /**
   * A secret's digests under the host's key (STATE/key): sha256(KEY || sha256 hex) of its content now (`-` when
   * missing or unhashed) and of the wanted content (`-` without one). Only these leave the process, never a secret's
   * plain sha256; `-` for both when the key cannot be read or made.
   */
  keyed: { tag: 'K', fields: ['path', 'before', 'after'] },
  /**
   * A small file whose hash differs from the wanted one and whose bytes follow in the B record, for the diff:
   * its size, in the order of the B record's bytes.
   */
  sized: { tag: 'Z', fields: ['size', 'path'] },
  /**
   * The bytes of every Z file, one after the other, base64 (one cat for them all). parse.ts cuts them by the Z
   * sizes and keeps a file's bytes only when they hash to its H record (a file changed between the two is left out).
   */
  bytes: { tag: 'B', fields: ['base64'] },
  /** A unit's UnitFileState and ActiveState (`not-found`, `unknown` when systemd does not say). */
  unit: { tag: 'U', fields: ['name', 'enabled', 'active'] },
  /** A user: its passwd line, primary group and supplementary groups (comma-separated); or `missing`. */
  user: { tag: 'W', fields: ['name', 'passwd', 'group', 'groups'] },
  /** A group nodeform created and recorded: `present` or `missing` on the host now. */
  group: { tag: 'R', fields: ['name', 'state'] },
  /** A program: `present` with the first lines of its --version (tabs and newlines made spaces), or `missing`. */
  binary: { tag: 'V', fields: ['path', 'state', 'version'] },
  managed: { tag: 'M', fields: MANAGED_FIELDS },
  original: { tag: 'O', fields: ENTRY_FIELDS },
  generation: { tag: 'G', fields: GENERATION_FIELDS },
  /** The id of the last generation (its directory name). */
  lastGeneration: { tag: 'X', fields: ['id'] },
  lastEntry: { tag: 'E', fields: ENTRY_FIELDS },
  managedBefore: { tag: 'Q', fields: MANAGED_FIELDS },
  lock: { tag: 'L', fields: LOCK_FIELDS },
  /** The probe waits for the run that holds the lock (the holder's line), printed as the wait starts: gather.ts tells it. */
  lockWait: { tag: 'Y', fields: LOCK_FIELDS },
  /**
   * Asked for (ProbeRequest.applied): the generation STATE/applied was written by and when (`-` `-`: there is no
   * such record), then one `applied` record per difference between it and the host now.
   */
  appliedGeneration: { tag: 'AG', fields: ['id', 'finishedAt'] },
  /**
   * A line of the state (facts/applied.ts) that only one side has: R what the last generation recorded, L the host
   * now; every hash in it replaced by `-`.
   */
  applied: { tag: 'A', fields: ['side', 'line'] },
  /** The last line: output without it was cut off. */
  end: { tag: 'END', fields: [] },
} as const;

export type RecordName = keyof typeof RECORDS;
type FieldName<N extends RecordName> = (typeof RECORDS)[N]['fields'][number];
export type RecordFields<N extends RecordName> = { [F in FieldName<N>]: string | undefined };

/** The word a P record has for a path that is not there, and W for a user that does not exist. */
export const MISSING = 'missing';
/** The word a V record has for a program that is there. */
export const PRESENT = 'present';
/** A field with no value. */
export const NONE = '-';

const byTag = new Map<string, RecordName>(Object.entries(RECORDS).map(([name, r]) => [r.tag, name as RecordName]));

/** Which record a tag starts; undefined for a line that is not ours (a login banner, a shell warning). */
export function recordOf(tag: string): RecordName | undefined {
  return byTag.get(tag);
}

/** A record's fields by name. Fields past the last name are joined back (a version text may hold tabs). */
export function readRecord<N extends RecordName>(name: N, values: readonly string[]): RecordFields<N> {
  const names = RECORDS[name].fields as readonly string[];
  const out: Record<string, string | undefined> = {};
  names.forEach((field, index) => {
    out[field] = index === names.length - 1 && values.length > names.length ? values.slice(index).join('\t') : values[index];
  });
  return out as RecordFields<N>;
}

/**
 * The sh command that prints one record: `printf 'TAG\t%s\t%s\n' ARG ARG`. Each argument is sh text (a quoted
 * expansion such as "$1", or a word); there must be one per field of the record.
 */
export function printRecord(name: RecordName, ...args: string[]): string {
  const { tag, fields } = RECORDS[name];
  if (args.length !== fields.length) throw new Error(`record ${name} has ${fields.length} fields (${fields.join(', ')}), given ${args.length}`);
  return `printf '${[tag, ...fields.map(() => '%s')].join('\\t')}\\n'${args.map((a) => ` ${a}`).join('')}`;
}

/** The sh command that prints a record whose last field follows from another command: `printf 'TAG\t%s\t' ARG`. */
export function printRecordStart(name: RecordName, ...args: string[]): string {
  const { tag, fields } = RECORDS[name];
  if (args.length !== fields.length - 1) throw new Error(`record ${name}: all fields but the last (${fields.slice(0, -1).join(', ')}) must be given, given ${args.length}`);
  return `printf '${[tag, ...args.map(() => '%s')].join('\\t')}\\t'${args.map((a) => ` ${a}`).join('')}`;
}

/** The sh command that prints the record of a user or program that is not there: `printf 'TAG\t%s\tmissing\n' ARG`. */
export function printMissing(name: 'path' | 'user' | 'binary', arg: string): string {
  return `printf '${RECORDS[name].tag}\\t%s\\t${MISSING}\\n' ${arg}`;
}

/** The sh command that prints a line of the host's record (already TAB-separated fields) as a record. */
export function printLine(name: 'managed' | 'original' | 'generation' | 'lastEntry' | 'managedBefore' | 'lock' | 'lockWait', line: string): string {
  return `printf '${RECORDS[name].tag}\\t%s\\n' ${line}`;
}

/** The stat(1) format of the S record (sh text: $TAB is a tab). */
export const STAT_FORMAT = [
  RECORDS.stat.tag,
  ...RECORDS.stat.fields.map((field) => ({ mode: '%a', owner: '%U', group: '%G', size: '%s', path: '%n' })[field]),
].join('$TAB');
