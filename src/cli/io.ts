// What the CLI may touch of its process: passed in, so tests run it in-process.

import type { PlaybookCache } from '../project/playbook-cache.js';

export interface CliIO {
  stdout: (text: string) => void;
  stderr: (text: string) => void;
  /** Reads one line from the terminal; undefined when there is no terminal to ask. */
  prompt?: (question: string) => Promise<string>;
  /** stdout is a terminal (colour and confirmation depend on it). */
  isTTY: boolean;
  env: Record<string, string | undefined>;
  cwd: string;
  /** The clock (ms since the epoch); default Date.now. The loader is given its reading (Ephemery's `latest`). */
  now?: () => number;
  /**
   * Calls `handler` on each interrupt (SIGINT, SIGTERM) instead of ending the process, until the returned function is
   * called. Absent where there is no process to interrupt (tests in-process). A rollout finishes or rolls back its
   * hosts in flight, status --watch ends, bench stops measuring and restores the hosts.
   */
  onInterrupt?: (handler: () => void) => () => void;
  /** Where the loader keeps a playbook's parse for the next run of the same code; absent: parsed each time. */
  playbookCache?: PlaybookCache;
}
