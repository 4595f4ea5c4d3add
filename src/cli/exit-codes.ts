// Every exit code of nodeform, in one place: run() maps outcomes and errors to them, --help and README list them.

export const EXIT_CODES = {
  /** Done; for plan --detailed-exitcode, and no changes. */
  success: 0,
  /** A host failed, was unreachable, drifted or locked; apply held items back; the operator declined; status: a node needs someone; an internal error. */
  failure: 1,
  /** plan --detailed-exitcode: there are changes to apply. */
  changesPending: 2,
  /** Invalid input: configuration problems (inventory, playbook, -e, saved plan) or a bad command line. Nothing was changed. */
  invalidInput: 3,
} as const;

export type ExitCode = (typeof EXIT_CODES)[keyof typeof EXIT_CODES];

/** How a command ended, as the command sees it; run() turns it into an exit code. */
export type Outcome = keyof typeof EXIT_CODES;

/** The exit codes as --help and README.md list them. */
export const EXIT_CODES_HELP = `Exit codes:
  ${EXIT_CODES.success}  success (plan --detailed-exitcode: no changes)
  ${EXIT_CODES.failure}  a host failed, was unreachable, drifted or was locked; apply held items back for want of
     a checkpoint quorum; providers found no trusted checkpoint; the confirmation was declined; status:
     a node is stalled, down, el-offline or optimistic too long (synced and syncing are 0)
  ${EXIT_CODES.changesPending}  plan --detailed-exitcode: there are changes to apply
  ${EXIT_CODES.invalidInput}  invalid input: a configuration problem (inventory, playbook, -e, saved plan) or a bad
     command line (unknown option or command, a bad value, no host selected, apply or reset without
     --yes and no terminal to ask); nothing was changed
`;
