// Ansible host patterns, for a play's `hosts:` and --limit: host and group names, `all` (or `*`),
// globs (`lab-*`), `~regex`, joined by `:` or `,`; `&term` intersects and `!term` excludes.
// As in Ansible, plain terms are applied first, then intersections, then exclusions, whatever
// their order in the pattern; a pattern of only & and ! terms starts from all hosts.

import type { Inventory } from './inventory.js';

export interface PatternTerm {
  /** The term as written, operator included (`!lab2`). */
  text: string;
  /** Offset of the term in the pattern string. */
  offset: number;
  operator: 'union' | 'intersection' | 'exclusion';
  /** Name, glob or ~regex, without the operator. */
  body: string;
  /** Offset of the body in the pattern string (where messages point). */
  bodyOffset: number;
}

export interface PatternMatch {
  /** Matching hosts, in inventory order. */
  hosts: string[];
  /** Plain names that are neither a host nor a group: an error. */
  unknown: PatternTerm[];
  /** Globs and regexes that match nothing: worth a warning. */
  unmatched: PatternTerm[];
  /** Terms that cannot be used, with the reason (a bad regex). */
  invalid: { term: PatternTerm; message: string }[];
}

export function parsePattern(pattern: string): PatternTerm[] {
  const terms: PatternTerm[] = [];
  const re = /[^:,]+/g;
  for (let match = re.exec(pattern); match; match = re.exec(pattern)) {
    const raw = match[0];
    const leading = raw.length - raw.trimStart().length;
    const text = raw.trim();
    if (text === '') continue;
    const operator = text.startsWith('!') ? 'exclusion' : text.startsWith('&') ? 'intersection' : 'union';
    const body = operator === 'union' ? text : text.slice(1).trim();
    const offset = match.index + leading;
    terms.push({ text, offset, operator, body, bodyOffset: offset + text.length - body.length });
  }
  return terms;
}

function isGlob(body: string): boolean {
  return /[*?[]/.test(body);
}

/** fnmatch-style glob to an anchored regular expression. */
export function globToRegExp(glob: string): RegExp {
  let source = '';
  for (let index = 0; index < glob.length; index++) {
    const character = glob[index]!;
    if (character === '*') source += '.*';
    else if (character === '?') source += '.';
    else if (character === '[') {
      const close = glob.indexOf(']', index + 2);
      if (close < 0) {
        source += '\\[';
        continue;
      }
      let inside = glob.slice(index + 1, close);
      if (inside.startsWith('!')) inside = `^${inside.slice(1)}`;
      source += `[${inside.replace(/\\/g, '\\\\')}]`;
      index = close;
    } else source += character.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');
  }
  return new RegExp(`^${source}$`);
}

/** Members of every group (hosts of the group and of its descendants), in inventory order. */
export function groupMembers(inventory: Inventory): Record<string, string[]> {
  const members: Record<string, string[]> = {};
  for (const name of Object.keys(inventory.groups)) members[name] = [];
  for (const host of inventory.hostNames) {
    for (const group of inventory.hosts[host]?.groups ?? []) members[group]?.push(host);
  }
  return members;
}

export function matchPattern(inventory: Inventory, pattern: string | readonly string[]): PatternMatch {
  const terms = typeof pattern === 'string' ? parsePattern(pattern) : pattern.flatMap((part) => parsePattern(part));
  return matchTerms(inventory, terms);
}

export function matchTerms(inventory: Inventory, terms: readonly PatternTerm[]): PatternMatch {
  const members = groupMembers(inventory);
  const result: PatternMatch = { hosts: [], unknown: [], unmatched: [], invalid: [] };

  const hostsOf = (term: PatternTerm): Set<string> => {
    const body = term.body;
    if (body === 'all' || body === '*') return new Set(inventory.hostNames);
    if (body.startsWith('~') || isGlob(body)) {
      let re: RegExp;
      try {
        re = body.startsWith('~') ? new RegExp(body.slice(1)) : globToRegExp(body);
      } catch (error) {
        result.invalid.push({ term, message: `invalid regular expression: ${(error as Error).message}` });
        return new Set();
      }
      const found = new Set<string>();
      for (const [group, hosts] of Object.entries(members)) if (re.test(group)) hosts.forEach((h) => found.add(h));
      for (const host of inventory.hostNames) if (re.test(host)) found.add(host);
      if (found.size === 0) result.unmatched.push(term);
      return found;
    }
    if (Object.prototype.hasOwnProperty.call(members, body)) return new Set(members[body]);
    if (Object.prototype.hasOwnProperty.call(inventory.hosts, body)) return new Set([body]);
    result.unknown.push(term);
    return new Set();
  };

  const unions = terms.filter((t) => t.operator === 'union');
  const intersections = terms.filter((t) => t.operator === 'intersection');
  const exclusions = terms.filter((t) => t.operator === 'exclusion');
  let selected = new Set<string>();
  if (unions.length === 0 && terms.length > 0) selected = new Set(inventory.hostNames);
  for (const term of unions) hostsOf(term).forEach((host) => selected.add(host));
  for (const term of intersections) {
    const keep = hostsOf(term);
    selected = new Set([...selected].filter((host) => keep.has(host)));
  }
  for (const term of exclusions) {
    const drop = hostsOf(term);
    selected = new Set([...selected].filter((host) => !drop.has(host)));
  }
  result.hosts = inventory.hostNames.filter((host) => selected.has(host));
  return result;
}
