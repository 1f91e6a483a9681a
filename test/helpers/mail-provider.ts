// Providers whose mail is delivered only when a test says so (`drain()`), and
// a logger whose lines a test can read.
import pino from 'pino';
import type { Logger } from '../../src/logger.ts';
import { startTestProvider, type TestProvider } from './server.ts';

/** A test provider whose background mail sender never starts. */
export function startQuietProvider(env: Record<string, string> = {}): Promise<TestProvider> {
  return startTestProvider({ env, startMailSender: false });
}

/** Restarts the provider on the same database, its mail sender still idle. */
export function restartQuiet(provider: TestProvider): Promise<TestProvider> {
  return provider.restart();
}

export type LogLine = { level: number; msg: string; [field: string]: unknown };

export function capturingLogger(): { logger: Logger; lines: LogLine[] } {
  const lines: LogLine[] = [];
  const logger = pino({ level: 'info' }, { write: (line: string) => void lines.push(JSON.parse(line) as LogLine) });
  return { logger, lines };
}

/** pino's number for the error level */
export const errorLevel = 50;
