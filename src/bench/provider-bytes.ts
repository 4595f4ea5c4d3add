// The bytes a host's clients fetch from the checkpoint providers during a bench run, counted by nftables on the
// host: a table of nodeform's own with one counter rule per provider address (resolved on the host at the run's
// start), matching packets from that address and port to a socket of the host's system.slice (the systemd
// services: the clients among them, not a login shell). nft resolves the cgroup path to an id when the rule is
// added, so the rules key on system.slice, which outlives a restarted client unit. Read when the run ends, then the
// table is deleted (also by the bench's restore, after Ctrl-C or a failure). Pure: the scripts and their parsing.

/** A provider as the clients reach it: host name (or address) and TCP port. No path, no credentials. */
export interface ProviderEndpoint {
  host: string;
  port: number;
}

/** What a run measured of the bytes from the providers, or why not. */
export type ProviderBytes =
  | {
      measured: true;
      /** IP bytes (headers included) received from the providers' addresses by sockets of the host's system.slice. */
      bytes: number;
      /** The packets those bytes came in (each with its IP and TCP headers, some with no payload: SYN-ACK, ACK, FIN). */
      packets: number;
      /** The addresses counted, as resolved on the host at the run's start, with their port. */
      endpoints: { host: string; port: number; addresses: string[] }[];
    }
  | { measured: false; why: string };

/** The provider endpoints of URLs (deduplicated, in order); a URL that does not parse is left out. */
export function providerEndpoints(urls: readonly string[]): ProviderEndpoint[] {
  const out: ProviderEndpoint[] = [];
  for (const url of urls) {
    let u: URL;
    try {
      u = new URL(url);
    } catch {
      continue;
    }
    const port = u.port ? Number(u.port) : u.protocol === 'https:' ? 443 : u.protocol === 'http:' ? 80 : undefined;
    if (port === undefined) continue;
    const host = u.hostname.replace(/^\[(.*)\]$/, '$1');
    if (!out.some((e) => e.host === host && e.port === port)) out.push({ host, port });
  }
  return out;
}

/**
 * The table's name: one per host, so that hosts sharing a network namespace (containers, the lab) keep their own
 * counters; the same on every run, so that a run deletes what a killed run left.
 */
export function counterTable(host: string): string {
  return `nodeform_bench_${host.replace(/[^A-Za-z0-9_]/g, '_')}`.slice(0, 200);
}

/**
 * The host command that sets the counters up: refuses (a `NotMeasured=` line) without root, without nft, without
 * a cgroup2 hierarchy holding system.slice, or when no provider name resolves; else resolves each provider with
 * `getent ahosts` (every address), replaces the table, and prints `Cgroup=`, one `Address=INDEX ADDRESS` line per
 * address and `Ready=1`.
 */
export function counterSetupScript(table: string, endpoints: readonly ProviderEndpoint[], quote: (word: string) => string): string {
  const t = quote(table);
  const lines = [
    `if [ "$(id -u)" != 0 ]; then echo 'NotMeasured=not root on the host (nft needs root: connect as root or with become)'; exit 0; fi`,
    `if ! command -v nft >/dev/null 2>&1; then echo 'NotMeasured=nft (nftables) is not installed on the host'; exit 0; fi`,
    // nft takes the path under /sys/fs/cgroup: cgroup2 there, or a hybrid host's cgroup2 at unified/.
    `if [ -e /sys/fs/cgroup/cgroup.controllers ] && [ -d /sys/fs/cgroup/system.slice ]; then cg=system.slice; ` +
      `elif [ -e /sys/fs/cgroup/unified/cgroup.controllers ] && [ -d /sys/fs/cgroup/unified/system.slice ]; then cg=unified/system.slice; ` +
      `else echo 'NotMeasured=no cgroup2 hierarchy with system.slice on the host (nft matches sockets by their cgroup2 cgroup)'; exit 0; fi`,
    `nft delete table inet ${t} 2>/dev/null`,
    `rules=''`,
    ...endpoints.map(
      (e, i) =>
        `for a in $(getent ahosts ${quote(e.host)} | awk '{print $1}' | sort -u); do case "$a" in *:*) f=ip6;; *) f=ip;; esac; ` +
        `echo "Address=${i} $a"; rules="$rules
add rule inet ${table} input $f saddr $a tcp sport ${e.port} socket cgroupv2 level 1 \\"$cg\\" counter"; done`,
    ),
    `if [ -z "$rules" ]; then echo 'NotMeasured=no provider name resolved on the host (getent ahosts)'; exit 0; fi`,
    `if ! err=$(printf 'add table inet ${table}\\nadd chain inet ${table} input { type filter hook input priority 0; policy accept; }%s\\n' "$rules" | nft -f - 2>&1); then ` +
      `echo "NotMeasured=nft refused the counters: $(echo "$err" | head -1)"; nft delete table inet ${t} 2>/dev/null; exit 0; fi`,
    `echo "Cgroup=$cg"`,
    'echo Ready=1',
  ];
  return lines.join('\n');
}

export type CounterSetup = { ready: true; cgroup: string; endpoints: { host: string; port: number; addresses: string[] }[] } | { ready: false; why: string };

/** counterSetupScript's output. */
export function parseCounterSetup(endpoints: readonly ProviderEndpoint[], text: string): CounterSetup {
  const lines = text.split('\n').map((l) => l.trim());
  const notMeasured = lines.find((l) => l.startsWith('NotMeasured='));
  if (notMeasured) return { ready: false, why: notMeasured.slice('NotMeasured='.length) };
  const cgroup = lines.find((l) => l.startsWith('Cgroup='))?.slice('Cgroup='.length);
  if (!lines.includes('Ready=1') || !cgroup) return { ready: false, why: `the counters could not be set up on the host${text.trim() ? `: ${text.trim().split('\n')[0]}` : ''}` };
  const addresses = (i: number) => lines.filter((l) => l.startsWith(`Address=${i} `)).map((l) => l.slice(`Address=${i} `.length));
  return { ready: true, cgroup, endpoints: endpoints.map((e, i) => ({ ...e, addresses: addresses(i) })).filter((e) => e.addresses.length > 0) };
}

/** The host command that prints the table (its counters) and then deletes it. */
export function counterReadScript(table: string, quote: (word: string) => string): string {
  return `nft list table inet ${quote(table)} && nft delete table inet ${quote(table)}`;
}

/** The host command that deletes the table if it is there (nothing when nft is missing). */
export function counterDeleteScript(table: string, quote: (word: string) => string): string {
  return `if command -v nft >/dev/null 2>&1; then nft delete table inet ${quote(table)} 2>/dev/null; fi; true`;
}

/**
 * The packets and bytes of `nft list table`'s counter rules (`ip saddr 10.0.0.1 tcp sport 443 socket cgroupv2 level 1
 * "system.slice" counter packets 12 bytes 3456`), summed; undefined when the listing holds no counter rule.
 */
export function parseCounterBytes(text: string): { packets: number; bytes: number } | undefined {
  let total: { packets: number; bytes: number } | undefined;
  for (const line of text.split('\n')) {
    const m = /\bsaddr\s+\S+\s+tcp\s+sport\s+\d+\b.*\bcounter\s+packets\s+(\d+)\s+bytes\s+(\d+)/.exec(line);
    if (m) total = { packets: (total?.packets ?? 0) + Number(m[1]), bytes: (total?.bytes ?? 0) + Number(m[2]) };
  }
  return total;
}

/** `127.0.0.1,::1:8899`: each endpoint's addresses and port. */
export function endpointsText(endpoints: readonly { port: number; addresses: string[] }[]): string {
  return endpoints.map((e) => `${e.addresses.join(',')}:${e.port}`).join('; ');
}

/** What a run's provider bytes are, in words. */
export function providerBytesSentence(p: ProviderBytes): string {
  return p.measured
    ? `received from the providers' addresses ${endpointsText(p.endpoints)} by the host's system services, counted by nftables`
    : `not measured: ${p.why}`;
}
