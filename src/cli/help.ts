import { EXIT_CODES, EXIT_CODES_HELP } from './exit-codes.js';

export const HELP = `nodeform: declare Ethereum node hosts in YAML; plan, apply and reset them over SSH.

Usage:
  nodeform validate -i INVENTORY [PLAYBOOK]     check inventory and playbook; contacts no host
  nodeform plan     -i INVENTORY [PLAYBOOK]     show what apply would change (one SSH exec per host)
  nodeform apply    -i INVENTORY [PLAYBOOK]     make the hosts match, with backups
  nodeform apply    --plan FILE               apply a plan saved with plan --out (refused if hosts drifted)
  nodeform apply    -i INVENTORY [PLAYBOOK] --serial N|N%|LIST [--canary N] [--max-fail N|N%]
                                              roll out batch by batch: each host gated, a failing one rolled
                                              back (docs/rollouts.md); --resume continues an interrupted one
  nodeform reset    -i INVENTORY [--to previous|original]
                                              undo the last apply (previous, the default), or put every
                                              touched path back as it was before nodeform (original)
  nodeform reset    -i INVENTORY [PLAYBOOK] --wipe-data [--force]
                                              stop each node's clients, wipe chain data keeping node
                                              identity, start them again (asks unless --force)
  nodeform providers -i INVENTORY [PLAYBOOK]    ask each node's checkpoint providers, cross-check them and show
                                              the trusted checkpoint and the choice (exit 1 if a node has none)
  nodeform history  -i INVENTORY              list each host's generations
  nodeform status   -i INVENTORY [PLAYBOOK]     each node's sync state: verdict (synced, syncing, stalled,
                                              optimistic, el-offline, down) and why, head, distance, speed,
                                              ETA, peers, execution lag, versions, units, Ephemery iteration,
                                              checkpoint; through the SSH connection (no port is opened);
                                              alerts the node's monitoring.alerts webhooks on a change
  nodeform drift    -i INVENTORY              for scheduled jobs: compare each host with its own record of
                                              what nodeform's last apply left; exit 2 when a host changed
                                              outside nodeform (hand edits, missing files, units changed)
  nodeform plan     --plan FILE [--format F]  show a plan again (plan --out, plan --json, or shards' plans
                                              merged by report merge); contacts no host
  nodeform report   merge FILE...             merge the --json results of a run's shards (--shard) into one
  nodeform bench    -i INVENTORY [PLAYBOOK] --strategies A,B,... --hosts PATTERN
                                              measure sync strategies: per host, strategy and run, apply the
                                              strategy's overlay, wipe chain data keeping identity, sample until
                                              synced or the time limit (bytes from the checkpoint providers:
                                              nftables counters on the host, needs nft and root); reports and a
                                              recommendation; the hosts are put back in their declared state
                                              afterwards (also on Ctrl-C)
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
      --format F          plan: human (default), json (as --json) or markdown: a pull-request comment (title,
                          removal and wipe warnings, summary, changes per host, diffs folded, drift); over
                          65,536 characters it is split into comments, separated by the line
                          <!-- nodeform: next comment -->
      --events ndjson     plan, apply, reset, drift: progress as JSON lines (schemas/events.schema.json) on
                          stdout (the usual output then goes to stderr), or in --events-file FILE
      --shard I/N         plan, apply, reset, drift, history: only shard I of N of the selected hosts (by name;
                          every host in exactly one shard); report merge joins the shards' --json results
  -y, --yes               apply/reset without asking (required when there is no terminal)
      --lock-timeout S    wait this long for another run's host lock, before a host is read (plan, apply, reset,
                          drift, history) and before it is changed (default 60)
      --up-for S          apply, reset: each unit the run starts or restarts must still run S seconds later, not
                          restarted on its own meanwhile, or the host fails (default 3; 0: checked at once only)
      --accept-new        trust and record host keys seen for the first time (changed keys are always refused)
      --known-hosts FILE  another known_hosts file to check host keys against (repeatable)
      --ssh-config FILE   ssh config to read instead of ~/.ssh/config
      --dead-link-timeout S  a connection that answers nothing for S seconds is lost (default 15); a command
                          in flight then ends "outcome unknown: run plan to see what changed" (an upload
                          into the state directory's staging says the host's files are as they were); the
                          host's next step opens a new connection
      --template-dir DIR  template: and source: may also read from DIR (repeatable); otherwise only the playbook's
                          directory and nodeform's own templates/
      --vault-password-file FILE  Ansible Vault password for !vault values and encrypted vars files (its first
                          line; an executable file is run and its output used); repeatable
      --vault-id [ID@]FILE  the same for values encrypted with a vault id (ansible-vault --vault-id ID@...)
      --prune-data        plan/apply: a directory nodeform made that is no longer declared (a replaced
                          client's data dir) is removed with its contents, not only when empty
      --serial N|N%|LIST  apply: a rollout, batches of N hosts, N% of them, or Ansible's list (1,5,20%: the last
                          repeats); each host must pass its health gate before the next batch starts
      --canary N|N%       apply: a first batch of these hosts alone
      --max-fail N|N%     apply: stop before the next batch once more hosts than this failed (over the whole
                          rollout; % of its hosts rounded down; unreachable hosts count; default: never stop)
      --gate progressing|synced  the health gate: units active and staying so, and a node's consensus client
                          progressing or synced with its execution client online (default progressing)
      --gate-timeout S    seconds a host has to pass its gate (default 300)
      --no-rollback       apply: leave a host that failed its gate as applied (default: back to its previous
                          generation, units as they were)
      --resume            apply: continue this inventory's interrupted rollout (run record in
                          $XDG_STATE_HOME/nodeform or ~/.local/state/nodeform); refused if its hosts or their
                          declared state changed. Ctrl-C in a rollout finishes the hosts in flight; twice,
                          rolls them back without waiting for their gates
      --write             import: rewrite the files in place, keeping FILE.bak
      --watch             status: look again every --interval seconds until Ctrl-C; redrawn in place with a
                          progress bar per host on a terminal, one plain line per host per round otherwise
      --interval S        status --watch: seconds between looks; bench: between sync samples (default 5)
      --prometheus        status: the figures in Prometheus' text format (nodeform_* metrics)
      --no-alerts         status: send no webhook alerts
      --events-file FILE  with --events ndjson: the JSON lines go to FILE, the usual output to stdout
      --strategies LIST   bench: strategies to measure, in order; built in: baseline, checkpoint-provider,
                          checkpoint-fleet-cache, cache-tuned, network-tuned, combined
      --strategies-file FILE  bench: more strategies (strategies: { NAME: { description, vars } })
      --hosts PATTERN     bench: the hosts to measure on (their chain data is wiped)
      --runs N            bench: runs per strategy and host (default 1)
      --time-limit S      bench: stop sampling a run after S seconds (default 1800)
      --parallel          bench: hosts at the same time (each one strategy at a time, each host starting at another)
      --results DIR       bench: where the JSON, Markdown and HTML reports go (default bench-results)
      --memory-limit MB   bench: recommend no strategy whose median peak memory is over MB MiB
      --dry-run           bench: say what would be done to which host and for how long at most; change nothing
      --note TEXT         bench: a line for the report (the link, the hardware); repeatable
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
