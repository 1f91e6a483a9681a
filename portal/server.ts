// Serving the Govlink portal. `startPortal` is what `npm start` uses next to
// the provider; run as a script (`node portal/server.ts`) it reads its
// configuration from the environment. Either way the provider need not be up
// yet: discovery happens on the first sign-in and is retried.
import { randomBytes } from 'node:crypto';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { pino } from 'pino';
import { z } from 'zod';
import { createPortal, type PortalOptions } from './app.ts';

export type RunningPortal = { url: string; server: Server; stop(): Promise<void> };

/** Creates the portal and listens on `port` (0: any free port). */
export async function startPortal(options: PortalOptions & { port: number; host?: string }): Promise<RunningPortal> {
  const { port, host, ...portalOptions } = options;
  const portal = await createPortal(portalOptions);
  const server = portal.listen(port, host);
  await new Promise<void>((resolve, reject) => {
    server.once('listening', resolve);
    server.once('error', reject);
  });
  const { port: actualPort } = server.address() as AddressInfo;
  return {
    url: port === 0 ? `http://${host ?? 'localhost'}:${actualPort}` : options.baseUrl,
    server,
    stop: () =>
      new Promise<void>((resolve, reject) => {
        server.close((error) => (error ? reject(error) : resolve()));
        // Browsers keep connections alive; do not wait for them to go idle.
        server.closeIdleConnections();
      }),
  };
}

const environmentSchema = z
  .object({
    PORTAL_PORT: z.coerce.number().int().min(0).max(65535).default(3001),
    PORTAL_URL: z.url().optional(),
    ISSUER: z.url().default('http://localhost:3000'),
    PORTAL_CLIENT_ID: z.string().min(1).default('govlink-portal'),
    PORTAL_CLIENT_SECRET: z.string().min(1).optional(),
    PORTAL_COOKIE_SECRET: z.string().min(32, 'PORTAL_COOKIE_SECRET must be at least 32 characters').optional(),
    NODE_ENV: z.string().default('development'),
  })
  .transform((env) => ({ ...env, PORTAL_URL: env.PORTAL_URL ?? `http://localhost:${env.PORTAL_PORT}` }));

async function startFromEnvironment(): Promise<void> {
  const logger = pino({ name: 'govlink-portal' });
  const parsed = environmentSchema.safeParse(process.env);
  if (!parsed.success) {
    logger.fatal({ issues: z.flattenError(parsed.error).fieldErrors }, 'invalid portal configuration');
    process.exit(1);
  }
  const env = parsed.data;
  if (!env.PORTAL_COOKIE_SECRET && env.NODE_ENV === 'production') {
    logger.fatal('PORTAL_COOKIE_SECRET is required in production');
    process.exit(1);
  }
  if (!env.PORTAL_COOKIE_SECRET) {
    // Development only: sessions do not survive a restart, which is harmless there.
    logger.warn('PORTAL_COOKIE_SECRET is not set; using a random one, portal sessions end when the process restarts');
  }

  const portal = await startPortal({
    issuer: env.ISSUER,
    clientId: env.PORTAL_CLIENT_ID,
    clientSecret: env.PORTAL_CLIENT_SECRET,
    baseUrl: env.PORTAL_URL,
    cookieSecret: env.PORTAL_COOKIE_SECRET ?? randomBytes(32).toString('base64url'),
    port: env.PORTAL_PORT,
    logger,
  });
  logger.info({ url: env.PORTAL_URL, issuer: env.ISSUER }, 'Govlink portal listening');
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    process.once(signal, () => void portal.stop().then(() => process.exit(0)));
  }
}

if (import.meta.main) await startFromEnvironment();
