// The CLI run in-process with an in-memory io (no terminal, HOME and the working directory in `dir`).
import { run } from '../../src/cli/main.js';

export async function runCli(dir: string, args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  let stdout = '';
  let stderr = '';
  const code = await run(args, { stdout: (t) => (stdout += t), stderr: (t) => (stderr += t), isTTY: false, env: { HOME: dir }, cwd: dir });
  return { code, stdout, stderr };
}
