// The one place where the environment is read. Everything else receives a
// typed Config.
import path from 'node:path';
import { z } from 'zod';

const durationPattern = /^(\d+)(s|m|h|d)$/;
const unitSeconds: Record<string, number> = { s: 1, m: 60, h: 3600, d: 86400 };

/** Parses "90s", "30m", "12h" or "7d" into seconds. */
export function parseDuration(value: string): number {
  const match = durationPattern.exec(value.trim());
  if (!match) throw new Error(`"${value}" is not a duration such as 90s, 30m or 12h`);
  const seconds = Number(match[1]) * unitSeconds[match[2] as string]!;
  if (seconds <= 0) throw new Error(`"${value}" must be longer than zero`);
  return seconds;
}

const duration = (fallback: string) =>
  z
    .string()
    .default(fallback)
    .transform((value, ctx) => {
      try {
        return parseDuration(value);
      } catch (error) {
        ctx.addIssue({ code: 'custom', message: (error as Error).message });
        return z.NEVER;
      }
    });

const port = (fallback: number) => z.coerce.number().int().min(0).max(65535).default(fallback);
const emptyAsUndefined = (value: unknown) => (value === '' ? undefined : value);

const environmentSchema = z.object({
  NODE_ENV: z.enum(['development', 'production', 'test']).default('development'),
  PORT: port(3000),
  ISSUER: z.preprocess(emptyAsUndefined, z.url().optional()),
  DATABASE_URL: z.preprocess(emptyAsUndefined, z.string().regex(/^postgres(ql)?:\/\//, 'must be a postgres:// URL').optional()),
  DATA_DIR: z.string().default('./data'),
  SECRET_KEY: z.preprocess(emptyAsUndefined, z.string().min(32, 'must be at least 32 characters').optional()),
  MAIL_TRANSPORT: z.preprocess(emptyAsUndefined, z.enum(['outbox', 'postmark']).optional()),
  MAIL_OUTBOX_DIR: z.preprocess(emptyAsUndefined, z.string().optional()),
  MAIL_FROM: z.string().default('no-reply@localhost'),
  POSTMARK_SERVER_TOKEN: z.preprocess(emptyAsUndefined, z.string().optional()),
  POSTMARK_API_URL: z.preprocess(emptyAsUndefined, z.url().optional()),
  ACTION_LINK_TTL: duration('12h'),
  SESSION_IDLE_TTL: duration('30m'),
  SESSION_MAX_TTL: duration('10h'),
  INTERACTION_TTL: duration('1h'),
  PORTAL_PORT: port(3001),
  PORTAL_URL: z.preprocess(emptyAsUndefined, z.url().optional()),
  PORTAL_CLIENT_ID: z.preprocess(emptyAsUndefined, z.string().optional()),
  PORTAL_CLIENT_SECRET: z.preprocess(emptyAsUndefined, z.string().optional()),
  TRUST_PROXY: z.preprocess(emptyAsUndefined, z.enum(['true', 'false']).optional()),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  DEMO_ADMIN_PASSWORD: z.preprocess(emptyAsUndefined, z.string().optional()),
});

export type Config = {
  env: 'development' | 'production' | 'test';
  port: number;
  issuer: string;
  databaseUrl: string | undefined;
  dataDir: string;
  /** undefined in development until loadSecretKey fills it from DATA_DIR */
  secretKey: string | undefined;
  mail: { outboxDir: string; from: string } & ({ transport: 'outbox' } | { transport: 'postmark'; postmarkServerToken: string; postmarkApiUrl: string | undefined });
  actionLinkTtl: number;
  sessionIdleTtl: number;
  sessionMaxTtl: number;
  interactionTtl: number;
  /** the Govlink portal as `npm start` runs it; no client id or secret: the seeded client's */
  portal: { port: number; url: string; clientId: string | undefined; clientSecret: string | undefined };
  trustProxy: boolean;
  logLevel: string;
  /** the seeded administrator's password (development only); random when unset */
  demoAdminPassword: string | undefined;
};

export class ConfigError extends Error {
  readonly code = 'invalid_configuration';
}

export function loadConfig(environment: Record<string, string | undefined> = process.env): Config {
  const parsed = environmentSchema.safeParse(environment);
  if (!parsed.success) {
    const lines = parsed.error.issues.map((issue) => `  ${issue.path.join('.')}: ${issue.message}`);
    throw new ConfigError(`Invalid configuration:\n${lines.join('\n')}`);
  }
  const e = parsed.data;
  const issuer = (e.ISSUER ?? `http://localhost:${e.PORT}`).replace(/\/$/, '');
  const dataDir = path.resolve(e.DATA_DIR);
  if (e.NODE_ENV === 'production') {
    if (!e.SECRET_KEY) throw new ConfigError('SECRET_KEY is required when NODE_ENV=production');
    if (!issuer.startsWith('https://')) throw new ConfigError('ISSUER must be an https:// URL when NODE_ENV=production');
  }
  if (e.MAIL_TRANSPORT === 'postmark' && !e.POSTMARK_SERVER_TOKEN) throw new ConfigError('MAIL_TRANSPORT=postmark needs POSTMARK_SERVER_TOKEN');
  // Postmark when a token is given, unless MAIL_TRANSPORT says outbox.
  const mailTransport =
    e.MAIL_TRANSPORT !== 'outbox' && e.POSTMARK_SERVER_TOKEN
      ? { transport: 'postmark' as const, postmarkServerToken: e.POSTMARK_SERVER_TOKEN, postmarkApiUrl: e.POSTMARK_API_URL }
      : { transport: 'outbox' as const };
  if (e.SESSION_IDLE_TTL > e.SESSION_MAX_TTL) throw new ConfigError('SESSION_IDLE_TTL must not be longer than SESSION_MAX_TTL');
  return {
    env: e.NODE_ENV,
    port: e.PORT,
    issuer,
    databaseUrl: e.DATABASE_URL,
    dataDir,
    secretKey: e.SECRET_KEY,
    mail: { outboxDir: path.resolve(e.MAIL_OUTBOX_DIR ?? path.join(dataDir, 'outbox')), from: e.MAIL_FROM, ...mailTransport },
    actionLinkTtl: e.ACTION_LINK_TTL,
    sessionIdleTtl: e.SESSION_IDLE_TTL,
    sessionMaxTtl: e.SESSION_MAX_TTL,
    interactionTtl: e.INTERACTION_TTL,
    portal: {
      port: e.PORTAL_PORT,
      url: (e.PORTAL_URL ?? `http://localhost:${e.PORTAL_PORT}`).replace(/\/$/, ''),
      clientId: e.PORTAL_CLIENT_ID,
      clientSecret: e.PORTAL_CLIENT_SECRET,
    },
    // Behind a TLS-terminating proxy (an https ISSUER) the forwarded headers are
    // trusted so that cookies are Secure and client addresses are right.
    trustProxy: e.TRUST_PROXY ? e.TRUST_PROXY === 'true' : issuer.startsWith('https://'),
    logLevel: e.LOG_LEVEL,
    demoAdminPassword: e.DEMO_ADMIN_PASSWORD,
  };
}
