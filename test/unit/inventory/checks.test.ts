import { describe, expect, it } from 'vitest';
import { normalizeRemotePath, remotePathProblem } from '../../../src/inventory/checks.js';

describe('remote paths', () => {
  it.each(['/etc/demo.conf', '/var/lib/demo', '/etc/systemd/system/a@b.service', '/opt/x_y-z.1/+,=:%@'])('%s is fine', (path) => {
    expect(remotePathProblem(path)).toBeUndefined();
  });

  it.each([
    ['', 'must not be empty'],
    ['etc/demo', 'must be an absolute path: start it with / (got "etc/demo")'],
    ['./x', 'must be an absolute path: start it with / (got "./x")'],
    ['~/x', 'must be an absolute path: start it with / (got "~/x")'],
    ['/etc/../shadow', "must not contain '..' segments: write the path it leads to"],
    ['/..', "must not contain '..' segments: write the path it leads to"],
    ['/', 'must name something below /'],
    ['//.', 'must name something below /'],
    ['/etc/$(reboot)', "must not contain shell metacharacters ('$', '(', ')')"],
    ['/etc/`id`', "must not contain shell metacharacters ('`')"],
    ['/etc/a;b', "must not contain shell metacharacters (';')"],
    ['/etc/a|b&c', "must not contain shell metacharacters ('|', '&')"],
    ['/etc/a b', 'must not contain shell metacharacters (space)'],
    ['/etc/*.conf', "must not contain shell metacharacters ('*')"],
    ["/etc/it's", "must not contain shell metacharacters (''')"],
    ['/etc/a\\b', "must not contain shell metacharacters ('\\')"],
    ['/etc/a>b', "must not contain shell metacharacters ('>')"],
    ['/etc/a\nb', 'must not contain control characters (newlines, escapes)'],
    ['/etc/a\u0007', 'must not contain control characters (newlines, escapes)'],
  ])('%j: %s', (path, message) => {
    expect(remotePathProblem(path)).toBe(message);
  });

  it.each([
    ['/etc//demo/', '/etc/demo'],
    ['/etc/./demo', '/etc/demo'],
    ['/etc', '/etc'],
    ['/etc/demo/.', '/etc/demo'],
    ['/./etc', '/etc'],
    ['/.', '/'],
    ['/', '/'],
    ['/etc/.demo', '/etc/.demo'],
    ['/etc/..', '/etc/..'],
    ['etc/demo', '/etc/demo'],
    ['/srv/many/d0/f0.conf', '/srv/many/d0/f0.conf'],
  ])('normalizes %s to %s', (path, expected) => {
    expect(normalizeRemotePath(path)).toBe(expected);
  });
});
