// pino: JSON lines in production, readable lines in development.
import pino, { type Logger } from 'pino';
import type { Config } from './config.ts';

export type { Logger };

export function createLogger(config: Pick<Config, 'env' | 'logLevel'>): Logger {
  if (config.env === 'development') {
    return pino({ level: config.logLevel, transport: { target: 'pino-pretty', options: { colorize: true, ignore: 'pid,hostname' } } });
  }
  return pino({ level: config.logLevel });
}
