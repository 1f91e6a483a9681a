// Runs the operator CLI the way an operator does: a separate Node process
// with its configuration in the environment.
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const projectRoot = fileURLToPath(new URL('../../', import.meta.url));
const cliEntry = fileURLToPath(new URL('../../src/cli/index.ts', import.meta.url));

export type CliResult = { code: number | null; stdout: string; stderr: string; json: Record<string, unknown> | undefined };

/** The environment of the test process without its database settings, plus `env`. */
function cliEnvironment(env: Record<string, string | undefined>): NodeJS.ProcessEnv {
  const { DATABASE_URL: _url, DATA_DIR: _dir, SECRET_KEY: _key, NODE_ENV: _env, ...rest } = process.env;
  const result: NodeJS.ProcessEnv = { ...rest, LOG_LEVEL: 'warn' };
  for (const [name, value] of Object.entries(env)) if (value !== undefined) result[name] = value;
  return result;
}

export function runCli(args: string[], env: Record<string, string | undefined>): Promise<CliResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [cliEntry, ...args], { cwd: projectRoot, env: cliEnvironment(env), stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString('utf8')));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString('utf8')));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr, json: lastJsonLine(stdout) }));
  });
}

/** The CLI's answer: the last line on stdout, which is one JSON object. */
function lastJsonLine(stdout: string): Record<string, unknown> | undefined {
  const last = stdout.trimEnd().split('\n').at(-1);
  if (!last) return undefined;
  try {
    const value = JSON.parse(last) as unknown;
    return value && typeof value === 'object' && !Array.isArray(value) ? (value as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
}
