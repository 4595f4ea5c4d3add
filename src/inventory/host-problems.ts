// Problems found per host, reported once per place with the hosts named.

import type { ConfigProblem } from '../errors.js';
import { listNames } from './text.js';

/**
 * Problems found per host are reported once per place, naming the hosts: three hosts missing the
 * same variable make one problem, not three.
 */
export class HostProblems {
  private readonly entries = new Map<string, { problem: ConfigProblem; hosts: Set<string>; message: (hosts: string) => string }>();

  add(host: string, problem: Omit<ConfigProblem, 'message'>, message: (hosts: string) => string): void {
    const key = `${problem.position.file}:${problem.position.line}:${problem.position.column}\u0000${problem.field}\u0000${message('')}`;
    const entry = this.entries.get(key);
    if (entry) {
      entry.hosts.add(host);
    } else {
      this.entries.set(key, { problem: { ...problem, message: '' }, hosts: new Set([host]), message });
    }
  }

  list(): ConfigProblem[] {
    return [...this.entries.values()].map(({ problem, hosts, message }) => {
      const named = `${hosts.size === 1 ? 'host' : 'hosts'} ${listNames([...hosts])}`;
      const { excerpt, ...rest } = problem;
      return { ...rest, message: message(named), ...(excerpt ? { excerpt } : {}) };
    });
  }
}

/** Warnings about hosts, said once per place and message with the hosts named. */
export class HostWarnings {
  private readonly problems = new HostProblems();

  add(host: string, warning: Omit<ConfigProblem, 'message'>, message: (hosts: string) => string): void {
    this.problems.add(host, warning, message);
  }

  list(): ConfigProblem[] {
    return this.problems.list();
  }
}
