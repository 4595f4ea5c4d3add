// --events ndjson: where the run's events go (stdout, or --events-file FILE) and the hooks that produce them.

import { closeSync, openSync, writeSync } from 'node:fs';
import type { ApplyOptions, ProbeObserver } from '../apply/run.js';
import { EventTally, eventLine, plannedEvent, resultEvent, scriptLineEvent, type Phase, type RunEvent } from '../views/events.js';
import type { CommandLine } from './arguments.js';
import type { CliIO } from './io.js';

export class EventSink {
  private readonly tally = new EventTally();
  private readonly fd: number | undefined;

  constructor(
    private readonly io: CliIO,
    private readonly line: CommandLine,
  ) {
    // Written line by line as the run goes (a follower reads it while it grows), synchronously: in order.
    this.fd = line.events?.path !== undefined ? openSync(line.events.path, 'w', 0o644) : undefined;
  }

  emit(event: RunEvent): void {
    this.tally.see(event);
    const text = eventLine(event, new Date(this.io.now?.() ?? Date.now()).toISOString());
    if (this.fd !== undefined) writeSync(this.fd, text);
    else this.io.stdout(text);
  }

  started(hosts: readonly string[]): void {
    this.emit({ type: 'run_started', command: this.line.command, hosts: [...hosts], ...(this.line.shard ? { shard: this.line.shard } : {}) });
  }

  probe(phase: Phase): ProbeObserver {
    return {
      started: (host) => this.emit({ type: 'host_started', host, phase }),
      done: (planned) => this.emit(plannedEvent(planned.plan, phase, planned.failure)),
    };
  }

  apply(): Pick<ApplyOptions, 'onEvent' | 'onHostStart' | 'onHostDone'> {
    return {
      onHostStart: (host) => this.emit({ type: 'host_started', host, phase: 'apply' }),
      onEvent: (host, text) => {
        const event = scriptLineEvent(host, text);
        if (event) this.emit(event);
      },
      onHostDone: (result) => this.emit(resultEvent(result)),
    };
  }

  finish(outcome: string, exitCode: number): void {
    this.emit({ type: 'run_finished', command: this.line.command, outcome, exit_code: exitCode, hosts: this.tally.counts() });
    if (this.fd !== undefined) closeSync(this.fd);
  }
}
