// pino: JSON lines in production, readable lines in development.
import pino, { type DestinationStream, type Logger } from 'pino';
import type { Config } from './config.ts';

export type { Logger };

/**
 * `destination` receives the JSON lines instead of stdout, for capturing the
 * log as tests do. Development's readable lines always go to the terminal.
 */
export function createLogger(config: Pick<Config, 'env' | 'logLevel'>, destination?: DestinationStream): Logger {
  if (config.env === 'development') {
    return pino({ level: config.logLevel, transport: { target: 'pino-pretty', options: { colorize: true, ignore: 'pid,hostname' } } });
  }
  return pino({ level: config.logLevel }, destination);
}
