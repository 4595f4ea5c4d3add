// Plain, JSON-serialisable data that flows one way:
// Inventory+Playbook -> Desired -> Resources; Resources x Facts -> Plan -> apply -> Generation.

/** Octal permission string, always four digits: "0644". */
export type Mode = string;

/** How to reach one host. Built from inventory vars (ansible_* or nodeform's own names). */
export interface HostConnection {
  /** inventory_hostname */
  name: string;
  /** Address or ~/.ssh/config alias to connect to (ansible_host; defaults to name). */
  address: string;
  port?: number;
  user?: string;
  identityFiles: string[];
  /** Run remote commands through `sudo -n` (ansible_become). */
  become: boolean;
  becomeUser: string;
  /** ProxyJump spec, "user@host:port[,next]", when not from ~/.ssh/config. */
  proxyJump?: string;
  /** Extra known_hosts files to trust besides the user's own. */
  knownHostsFiles: string[];
  /** `local` runs on the controller itself without SSH. */
  connection: 'ssh' | 'local';
}

export interface HostSettings {
  /** Where nodeform keeps its record, backups and lock on the host. */
  stateDir: string;
  /** Generations of backups kept; older ones are pruned (originals never are). */
  keepGenerations: number;
}

interface ResourceBase {
  /** Stable key: `file:/etc/x`, `dir:/etc`, `user:geth`, `unit:geth.service`. */
  id: string;
  tags: string[];
  /** Where it was declared, for messages: "playbooks/demo.yaml:12:5". */
  origin?: string;
  /**
   * Why this resource must not change in this run (no checkpoint quorum: what depends on the provider
   * choice stays as it is). The plan shows it and leaves it alone; it is neither created, changed nor removed.
   */
  held?: string;
}

/**
 * A file on the controller whose bytes are streamed to the hosts, never held in memory (a `source:` copy over
 * LOCAL_INLINE_LIMIT, a client binary, a fleet-cache checkpoint state): where it is, its size and its sha256
 * (hashed once while read, cached by path, size and modification time).
 */
export interface LocalFile {
  /** Absolute path on the controller. */
  path: string;
  size: number;
  sha256: string;
  /**
   * The file as it was when it was hashed (files/digest.ts): an upload that finds the same modification and change
   * times and inode before and after it read the bytes sends what was hashed, and says so (apply/upload.ts); the
   * host then need not hash them again. Without it the host hashes what arrives.
   */
  identity?: { mtimeMs: number; ctimeMs: number; ino: number };
  /**
   * Its sha256 is not known yet (apply --yes hashes a large file while the hosts are probed and its upload starts):
   * `sha256` is then a placeholder, `pending-` and a key of its path, size and identity, that matches no file's
   * hash; the plan is made only once the real one is in (project/desired.ts withDigests).
   */
  pending?: true;
}

/** A `source:` copy up to this size is held as bytes (its plan can show a text diff); a larger one is a LocalFile. */
export const LOCAL_INLINE_LIMIT = 64 * 1024;

/** A `source:` reference as the loader found it: the file (with its bytes when small), or why it cannot be used. */
export type CopySource = { file: LocalFile; base64?: string } | { refused: string };

export interface FileResource extends ResourceBase {
  kind: 'file';
  path: string;
  /** utf8 text, or base64 when encoding is base64 (binary files); empty when the bytes are a local file. */
  content: string;
  encoding: 'utf8' | 'base64';
  /** sha256 hex of the bytes. */
  sha256: string;
  /** The bytes are this controller file's (content is then empty): streamed to the hosts that lack them. */
  local?: LocalFile;
  mode: Mode;
  owner: string;
  group: string;
  /** Never shown in plans, JSON or logs. */
  secret: boolean;
  /**
   * Made on the host itself when missing and never read back (an Engine API JWT): the controller
   * never knows the bytes; content and sha256 are empty and only mode, owner and group are managed.
   */
  generate?: 'hex32';
  /**
   * Line prefixes whose lines may differ on the host without it being drift (a value recorded at the apply
   * that wrote the file, like the checkpoint quorum): they are rewritten only when the rest of the file changes.
   */
  volatileLines?: string[];
  /** Line prefixes of notes another program leaves in the host's copy; the plan quotes them to explain the drift. */
  hostNotes?: string[];
}

export interface DirectoryResource extends ResourceBase {
  kind: 'directory';
  path: string;
  mode: Mode;
  owner: string;
  group: string;
}

export interface UserResource extends ResourceBase {
  kind: 'user';
  name: string;
  system: boolean;
  /** Primary group; created with the user's name when absent. */
  group?: string;
  /** Supplementary groups, which must exist. */
  groups: string[];
  home?: string;
  shell: string;
}

export interface UnitResource extends ResourceBase {
  kind: 'unit';
  /** e.g. `geth.service`; the file lands at UNIT_DIR/<name>. */
  name: string;
  path: string;
  /** Empty for a state-only unit. */
  content: string;
  /** Empty for a state-only unit. */
  sha256: string;
  /**
   * Only the unit's state is managed (a unit whose file is not nodeform's, like the old scripts'
   * checkpoint-monitor.service): its file is never written, removed or listed in nodeform's record; enabled and
   * active are managed when given (absent: left as they are); a unit missing from the host is nothing to do.
   */
  stateOnly?: true;
  /** Always set unless stateOnly. */
  enabled?: boolean;
  /** Always set unless stateOnly. */
  active?: boolean;
  /** Paths of files whose change restarts this unit (its declared inputs). */
  restartOn: string[];
}

/**
 * A one-shot reset of chain data, run when its trigger file's content changes (an Ephemery iteration):
 * stop the units, remove the paths (chain data only: node identity is kept), then the units start again.
 * Not backed up: chain data is re-synced, not restored.
 */
export interface WipeResource extends ResourceBase {
  kind: 'wipe';
  name: string;
  /** A file resource of the same host whose change triggers the wipe; without one, only reset --wipe-data wipes. */
  trigger?: string;
  /** What the trigger's content means, for the plan: "ephemery iteration". */
  triggerLabel: string;
  stopUnits: string[];
  paths: string[];
  /** One line for the plan: what the wipe does. */
  summary: string;
}

/** A program that must be on the host (a client binary): checked, never changed; the plan warns. */
export interface BinaryResource extends ResourceBase {
  kind: 'binary';
  path: string;
  /** What it is, for messages: "geth". */
  name: string;
  /** Oldest release that works, and the release flags were checked against. */
  minVersion: string;
  targetVersion: string;
}

export type Resource = FileResource | DirectoryResource | UserResource | UnitResource | WipeResource | BinaryResource;

/** What one host must hold. */
export interface Desired {
  host: string;
  connection: HostConnection;
  settings: HostSettings;
  /** The host's resolved variables (secrets masked out of any output by the formatter). */
  vars: Record<string, unknown>;
  resources: Resource[];
  /** What the plan should say about the host beyond its changes (the checkpoint provider choice). */
  notes?: string[];
  /** The checkpoint provider decision of an ethereum_node host whose providers were probed. */
  checkpoint?: CheckpointDecision;
}

// ---------------------------------------------------------------- facts

export interface PathFact {
  path: string;
  exists: boolean;
  type?: 'file' | 'directory' | 'symlink' | 'other';
  mode?: Mode;
  owner?: string;
  group?: string;
  size?: number;
  sha256?: string;
  /** A secret file's digest under the host's key (facts/key.ts): what the plan shows and saves instead of sha256. */
  keyedSha256?: string;
  /** A secret file's wanted content's digest under the host's key. */
  keyedWantSha256?: string;
  /** base64 of current bytes; only for changed, small, non-secret files (for diffs). */
  content?: string;
}

export interface UnitFact {
  name: string;
  /** `systemctl is-enabled`: enabled, disabled, static, masked, not-found, ... */
  enabled: string;
  /** `systemctl is-active`: active, inactive, failed, activating, ... */
  active: string;
}

export interface UserFact {
  name: string;
  exists: boolean;
  uid?: number;
  gid?: number;
  home?: string;
  shell?: string;
  /** Primary group name. */
  group?: string;
  /** All group names, primary included. */
  groups?: string[];
}

/** One entry of what nodeform manages on a host (its record). */
export interface ManagedEntry {
  kind: 'file' | 'directory' | 'user' | 'unit';
  /** path for files and directories, name for users and units */
  target: string;
  /** A secret file: its hashes leave the host only under the host's key (facts/key.ts). */
  secret?: boolean;
}

/** Another run's hold on the host lock, which the probe waited out in vain (its holder still alive). */
export interface LockInfo {
  runId: string;
  controller: string;
  pid: string;
  since: string;
}

export interface GenerationSummary {
  id: number;
  action: string;
  startedAt: string;
  finishedAt?: string;
  complete: boolean;
  changes: number;
  controller: string;
}

export interface BinaryFact {
  path: string;
  present: boolean;
  /** First lines of `PATH --version`, when present. */
  versionOutput?: string;
}

/** One way a managed target differs from how the last generation left it (nodeform drift). */
export interface DriftItem {
  kind: ManagedEntry['kind'];
  target: string;
  field: 'exists' | 'content' | 'mode' | 'owner' | 'group' | 'enabled' | 'active';
  /** As the last generation left it, and as it is now; null for content (no hash leaves the host). */
  recorded: string | null;
  live: string | null;
}

/**
 * The host compared with its own record of what the last generation left (STATE/applied, written at the end of
 * every apply, reset and rollback). generation absent: the host has no such record (never applied, or applied by
 * a nodeform without it).
 */
export interface AppliedCheck {
  generation?: number;
  finishedAt?: string;
  drift: DriftItem[];
}

export interface Facts {
  host: string;
  /** Asked for with ProbeRequest.applied. */
  applied?: AppliedCheck;
  binaries?: Record<string, BinaryFact>;
  paths: Record<string, PathFact>;
  units: Record<string, UnitFact>;
  users: Record<string, UserFact>;
  /** Whether each group named in nodeform's record exists (read for reset). */
  groups?: Record<string, boolean>;
  record: HostRecord;
}

/** A target's state before a change, as the host recorded it in a generation (or in the originals). */
export interface BackupEntry {
  /** `group`: a group nodeform created for a user (existed false), removed again by reset. */
  kind: 'file' | 'directory' | 'user' | 'unit' | 'group';
  target: string;
  existed: boolean;
  /** sha256 of the saved bytes (files and unit files); the blob is kept on the host. */
  sha256?: string;
  mode?: Mode;
  owner?: string;
  group?: string;
  /** Units: enablement and activity before. */
  enabled?: string;
  active?: string;
  /** Users that existed: their shell, home, primary group and supplementary groups before. */
  user?: { shell: string; home: string; group: string; groups: string[] };
  /** A file that was a secret when recorded (facts/key.ts): its hashes never leave the host plain. */
  secret?: boolean;
}

export interface LastGeneration {
  id: number;
  entries: BackupEntry[];
  /** What nodeform managed before this generation ran. */
  managedBefore: ManagedEntry[];
}

/** The host's record as the probe read it, beyond the live state of the targets. */
export interface HostRecord {
  managed: ManagedEntry[];
  generations: GenerationSummary[];
  /** First-seen state of everything nodeform ever touched on the host. */
  original: BackupEntry[];
  last?: LastGeneration;
  lock?: LockInfo;
}

/** A checkpoint provider's verdict. agrees: behind the trusted checkpoint; undecided: answered, but no checkpoint reached a quorum. */
export type VerdictStatus = 'agrees' | 'undecided' | 'no-answer' | 'not-ready' | 'wrong-genesis' | 'dissents';

/** One provider as the plan shows it. */
export interface ProviderVerdictSummary {
  url: string;
  status: VerdictStatus;
  latencyMs: number;
  finalized?: { epoch: number; root: string };
  servesStates: boolean;
  /** Why it is not among the agreeing ones. */
  reason?: string;
}

export interface CheckpointDecision {
  /** More than `threshold` of the answering providers agree. */
  quorum: boolean;
  threshold: number;
  /** The trusted finalized checkpoint, when there is a quorum. */
  checkpoint?: { epoch: number; root: string };
  /** The provider the node starts from, and the agreeing alternatives in order. */
  chosen?: string;
  alternatives: string[];
  /** Why nothing was chosen. */
  reason?: string;
  providers: ProviderVerdictSummary[];
}

/** Where nodeform writes systemd unit files on a host. */
export const UNIT_DIR = '/etc/systemd/system';
