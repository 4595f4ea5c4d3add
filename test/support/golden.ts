// UPDATE_GOLDEN=1 rewrites golden files instead of comparing with them. Never in CI: there a rewrite would
// turn every golden test green whatever the code does. vitest.config.ts refuses such a run before any test.

export function goldenUpdateRefusal(env: Record<string, string | undefined>): string | undefined {
  const update = env.UPDATE_GOLDEN;
  if (update === undefined || update === '' || update === '0') return undefined;
  const ci = env.CI;
  if (ci === undefined || ci === '' || ci === '0' || ci === 'false') return undefined;
  return `UPDATE_GOLDEN=${update} is refused in CI (CI=${ci}): golden files are rewritten by hand, with UPDATE_GOLDEN=1 npx vitest run test/unit, and the diff reviewed and committed`;
}

/** Throws when the environment asks to rewrite golden files in CI. */
export function refuseGoldenUpdateInCi(env: Record<string, string | undefined>): void {
  const refusal = goldenUpdateRefusal(env);
  if (refusal) throw new Error(refusal);
}
