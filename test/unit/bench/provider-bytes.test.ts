// The provider counters: endpoints from URLs, the set-up and read scripts' outputs parsed, the report's sentences.
import { describe, expect, it } from 'vitest';
import {
  counterSetupScript,
  counterTable,
  parseCounterBytes,
  parseCounterSetup,
  providerBytesSentence,
  providerEndpoints,
} from '../../../src/bench/provider-bytes.js';
import { quote } from '../../../src/shell/quote.js';

// `nft list table inet T` as nft 1.0.6 (Debian bookworm) prints it, two addresses counted.
const LISTING = `table inet nodeform_bench_lab1 {
	chain input {
		type filter hook input priority filter; policy accept;
		ip saddr 127.0.0.9 tcp sport 8899 socket cgroupv2 level 1 "unified/system.slice" counter packets 153 bytes 5005049
		ip6 saddr ::1 tcp sport 8899 socket cgroupv2 level 1 "unified/system.slice" counter packets 2 bytes 120
	}
}
`;

describe('providerEndpoints', () => {
  it('takes host and port (the scheme\'s default), never the credentials or the path, once each', () => {
    expect(providerEndpoints(['https://user:secret@beacon.example/eth?key=k', 'http://127.0.0.1:8899/', 'http://[::1]:5052', 'https://beacon.example', 'not a url', 'ftp://x.example/'])).toEqual([
      { host: 'beacon.example', port: 443 },
      { host: '127.0.0.1', port: 8899 },
      { host: '::1', port: 5052 },
    ]);
  });
});

describe('counterTable', () => {
  it('is one per host, in the characters nft takes', () => {
    expect(counterTable('lab-1.example.org')).toBe('nodeform_bench_lab_1_example_org');
  });
});

describe('counterSetupScript and parseCounterSetup', () => {
  const endpoints = [
    { host: 'beacon.example', port: 443 },
    { host: '127.0.0.1', port: 8899 },
  ];

  it('resolves each provider on the host and adds one counter rule per address, keyed on system.slice', () => {
    const script = counterSetupScript('nodeform_bench_lab1', endpoints, quote);
    expect(script).toContain("getent ahosts beacon.example | awk '{print $1}' | sort -u");
    expect(script).toContain('add rule inet nodeform_bench_lab1 input $f saddr $a tcp sport 443 socket cgroupv2 level 1 \\"$cg\\" counter');
    expect(script).toContain('nft delete table inet nodeform_bench_lab1 2>/dev/null');
  });

  it('reads the addresses each provider resolved to', () => {
    const out = 'Address=0 192.0.2.7\nAddress=0 2001:db8::7\nAddress=1 127.0.0.1\nCgroup=unified/system.slice\nReady=1\n';
    expect(parseCounterSetup(endpoints, out)).toEqual({
      ready: true,
      cgroup: 'unified/system.slice',
      endpoints: [
        { host: 'beacon.example', port: 443, addresses: ['192.0.2.7', '2001:db8::7'] },
        { host: '127.0.0.1', port: 8899, addresses: ['127.0.0.1'] },
      ],
    });
  });

  it('leaves out a provider that did not resolve', () => {
    const out = 'Address=1 127.0.0.1\nCgroup=system.slice\nReady=1\n';
    expect(parseCounterSetup(endpoints, out)).toMatchObject({ ready: true, endpoints: [{ host: '127.0.0.1', addresses: ['127.0.0.1'] }] });
  });

  it.each([
    ['NotMeasured=nft (nftables) is not installed on the host\n', 'nft (nftables) is not installed on the host'],
    ['NotMeasured=not root on the host (nft needs root: connect as root or with become)\n', 'not root on the host (nft needs root: connect as root or with become)'],
    ['sh: 1: getent: not found\n', 'the counters could not be set up on the host: sh: 1: getent: not found'],
    ['', 'the counters could not be set up on the host'],
  ])('says why there are no counters: %j', (out, why) => {
    expect(parseCounterSetup(endpoints, out)).toEqual({ ready: false, why });
  });
});

describe('parseCounterBytes', () => {
  it('sums the counter rules\' bytes', () => {
    expect(parseCounterBytes(LISTING)).toEqual({ packets: 155, bytes: 5005049 + 120 });
  });

  it('counts zero when nothing came', () => {
    expect(parseCounterBytes(LISTING.replace(/packets \d+ bytes \d+/g, 'packets 0 bytes 0'))).toEqual({ packets: 0, bytes: 0 });
  });

  it('is undefined when the listing holds no counter rule (no table, an error)', () => {
    expect(parseCounterBytes('')).toBeUndefined();
    expect(parseCounterBytes('Error: No such file or directory\nlist table inet nodeform_bench_lab1\n')).toBeUndefined();
    expect(parseCounterBytes('table inet t {\n\tchain input {\n\t\ttype filter hook input priority filter; policy accept;\n\t}\n}\n')).toBeUndefined();
  });
});

describe('providerBytesSentence', () => {
  it('says exactly what was counted, or why nothing was', () => {
    expect(providerBytesSentence({ measured: true, bytes: 10, packets: 1, endpoints: [{ host: 'a.example', port: 443, addresses: ['192.0.2.7', '2001:db8::7'] }, { host: 'b', port: 8899, addresses: ['127.0.0.1'] }] })).toBe(
      "received from the providers' addresses 192.0.2.7,2001:db8::7:443; 127.0.0.1:8899 by the host's system services, counted by nftables",
    );
    expect(providerBytesSentence({ measured: false, why: 'nft (nftables) is not installed on the host' })).toBe('not measured: nft (nftables) is not installed on the host');
  });
});
