// Providers whose mail is delivered only when a test says so (`drain()`), and
// a logger whose lines a test can read.
import pino from 'pino';
import type { Logger } from '../../src/logger.ts';
import { startTestProvider, type TestProvider } from './server.ts';

/** A test provider with its background mail sender stopped. */
export async function startQuietProvider(env: Record<string, string> = {}): Promise<TestProvider> {
  const provider = await startTestProvider({ env });
  await provider.app.services.mailSender.stop();
  return provider;
}

/** Restarts the provider on the same database, its mail sender stopped again. */
export async function restartQuiet(provider: TestProvider): Promise<TestProvider> {
  const next = await provider.restart();
  await next.app.services.mailSender.stop();
  return next;
}

export type LogLine = { level: number; msg: string; [field: string]: unknown };

export function capturingLogger(): { logger: Logger; lines: LogLine[] } {
  const lines: LogLine[] = [];
  const logger = pino({ level: 'info' }, { write: (line: string) => void lines.push(JSON.parse(line) as LogLine) });
  return { logger, lines };
}

/** pino's number for the error level */
export const errorLevel = 50;
