import { EXIT_CODES, EXIT_CODES_HELP } from './exit-codes.js';

export const HELP = `nodeform: declare Ethereum node hosts in YAML; plan, apply and reset them over SSH.

Usage:
  nodeform validate -i INVENTORY [PLAYBOOK]     check inventory and playbook; contacts no host
  nodeform plan     -i INVENTORY [PLAYBOOK]     show what apply would change (one SSH exec per host)
  nodeform apply    -i INVENTORY [PLAYBOOK]     make the hosts match, with backups
  nodeform apply    --plan FILE               apply a plan saved with plan --out (refused if hosts drifted)
  nodeform reset    -i INVENTORY [--to previous|original]
                                              undo the last apply (previous, the default), or put every
                                              touched path back as it was before nodeform (original)
  nodeform reset    -i INVENTORY [PLAYBOOK] --wipe-data [--force]
                                              stop each node's clients, wipe chain data keeping node
                                              identity, start them again (asks unless --force)
  nodeform providers -i INVENTORY [PLAYBOOK]    ask each node's checkpoint providers, cross-check them and show
                                              the trusted checkpoint and the choice (exit 1 if a node has none)
  nodeform history  -i INVENTORY              list each host's generations
  nodeform import   -i INVENTORY [--write]    rewrite old-script variables (el, cl, ports, data directories,
                                              cl_extra_opts, use_checkpoint_sync, ...) into nodeform's node
                                              settings, warn about each one it cannot map, resolve {{ name }},
                                              and check the result as validate does

PLAYBOOK defaults to nodeform_playbook in the inventory's all.vars.

Options:
  -i, --inventory FILE    Ansible-shape inventory (group_vars/ and host_vars/ beside it are read)
  -e, --extra-vars K=V    set a variable with the highest precedence; @FILE reads a YAML file (repeatable)
  -l, --limit PATTERN     only hosts matching an Ansible host pattern (a:b, a:&b, a:!b, globs)
  -t, --tags LIST         only resources with one of these tags (comma-separated)
      --skip-tags LIST    leave out resources with these tags
  -f, --forks N           hosts handled at once (default 100)
      --json              machine-readable output, one JSON document on stdout (plan: schemas/plan.schema.json;
                          the others: schemas/output.schema.json); warnings and errors go to stderr as JSON
                          lines; apply and reset need --yes with it
      --out FILE          plan: save the plan, with each change's precondition, for apply --plan
      --detailed-exitcode plan: exit 0 with no changes, 2 with changes (1 and 3 as below)
  -y, --yes               apply/reset without asking (required when there is no terminal)
      --lock-timeout S    wait this long for another run's host lock (default 60)
      --accept-new        trust and record host keys seen for the first time (changed keys are always refused)
      --known-hosts FILE  another known_hosts file to check host keys against (repeatable)
      --ssh-config FILE   ssh config to read instead of ~/.ssh/config
      --dead-link-timeout S  a connection that answers nothing for S seconds is lost (default 15); a command
                          in flight then ends "outcome unknown: run plan to see what changed"
      --template-dir DIR  template: and source: may also read from DIR (repeatable); otherwise only the playbook's
                          directory and nodeform's own templates/
      --vault-password-file FILE  Ansible Vault password for !vault values and encrypted vars files (its first
                          line; an executable file is run and its output used); repeatable
      --vault-id [ID@]FILE  the same for values encrypted with a vault id (ansible-vault --vault-id ID@...)
      --prune-data        plan/apply: a directory nodeform made that is no longer declared (a replaced
                          client's data dir) is removed with its contents, not only when empty
      --write             import: rewrite the files in place, keeping FILE.bak
      --no-color          no colour (also NO_COLOR=1; colour is only used on a terminal)
  -h, --help              this help
  -V, --version           version

${EXIT_CODES_HELP}`;

export const VERSION = '0.1.0';

/**
 * `nodeform`, `--help` and `--version` alone, answered without loading the rest of the CLI (bin/nodeform.js
 * asks this first); anything else is for run().
 */
export function quickAnswer(argv: readonly string[]): { code: number; text: string } | undefined {
  if (argv.length === 0) return { code: EXIT_CODES.invalidInput, text: HELP };
  if (argv.length !== 1) return undefined;
  if (argv[0] === '--help' || argv[0] === '-h') return { code: 0, text: HELP };
  if (argv[0] === '--version' || argv[0] === '-V') return { code: 0, text: `nodeform ${VERSION}\n` };
  return undefined;
}
