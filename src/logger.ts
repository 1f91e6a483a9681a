// pino: JSON lines in production, readable lines in development.
import pino, { type DestinationStream, type Logger } from 'pino';
import type { Config } from './config.ts';

export type { Logger };

/** `destination` (JSON lines, whatever the environment) is for capturing the log, as tests do. */
export function createLogger(config: Pick<Config, 'env' | 'logLevel'>, destination?: DestinationStream): Logger {
  if (destination) return pino({ level: config.logLevel }, destination);
  if (config.env === 'development') {
    return pino({ level: config.logLevel, transport: { target: 'pino-pretty', options: { colorize: true, ignore: 'pid,hostname' } } });
  }
  return pino({ level: config.logLevel });
}
