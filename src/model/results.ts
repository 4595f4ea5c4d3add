// What a run gives back, as plain data: each host's outcome and errors as data (JSON output reads these). Imports
// nothing of the project.

export type ErrorCode =
  | 'CONFIG' // inventory, playbook or argument is wrong: the user must edit something
  | 'TRANSPORT' // SSH connect, auth, host key or exec failed
  | 'HOSTKEY' // host key unknown or changed
  | 'OUTCOME_UNKNOWN' // the connection was lost while a command ran: it may have taken effect on the host, or not
  | 'DRIFT' // a saved plan's preconditions no longer hold
  | 'LOCKED' // another apply holds the host lock
  | 'APPLY' // a host-side step failed
  | 'USAGE' // bad command line
  | 'INTERNAL';

/** An error as data (JSON output): its code and message, and for a host's failure where and what ran. */
export interface ErrorDetails {
  code: ErrorCode;
  message: string;
  host?: string;
  command?: string;
  exitCode?: number;
  stderr?: string;
}

export type HostStatus = 'applied' | 'unchanged' | 'failed' | 'drifted' | 'locked' | 'unreachable';

export interface HostResult {
  host: string;
  status: HostStatus;
  generation?: number;
  /** The apply failed after its first change and put the host back at once: whether that worked. */
  rolledBack?: boolean;
  /**
   * The apply ran to its end (its generation is complete: the host is as planned) but failed a check after it, a unit
   * not in its declared state; it was not put back (a rollout does that, as for a failed gate).
   */
  completed?: boolean;
  /** What the host reported: files written, units started, drift found, errors. */
  events: string[];
  error?: string;
  /** The error as data (code, host, and for a failed command what ran, its exit code and stderr), for JSON output. */
  failure?: ErrorDetails;
  durationMs: number;
}
