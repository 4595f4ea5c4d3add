// Release versions as clients tag them: v1.14.11, 25.1.0, 5.3.0-rc.1. Pure.

/** The numeric parts of a version ("v1.14.11-rc.1" -> [1, 14, 11]); undefined when it has none. */
function parts(version: string): number[] | undefined {
  const match = /^v?(\d+(?:\.\d+)*)/.exec(version.trim());
  return match ? match[1]!.split('.').map(Number) : undefined;
}

/** Negative when a is older than b, 0 when equal, positive when newer; undefined when either is not a version. */
export function compareVersions(a: string, b: string): number | undefined {
  const left = parts(a);
  const right = parts(b);
  if (!left || !right) return undefined;
  for (let index = 0; index < Math.max(left.length, right.length); index++) {
    const difference = (left[index] ?? 0) - (right[index] ?? 0);
    if (difference !== 0) return difference;
  }
  return 0;
}
