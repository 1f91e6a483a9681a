// A real provider on a random port with a real database of its own: a fresh
// embedded PGlite directory, or (when DATABASE_URL is set) a throwaway
// database on that Postgres server.
import { createServer, type Server } from 'node:http';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import pino from 'pino';
import { generate } from 'otplib';
import { loadConfig, type Config } from '../../src/config.ts';
import { createApp, listen, type App } from '../../src/app.ts';
import { ManualClock } from '../../src/clock.ts';
import { createOrganisation, createUser } from '../../src/accounts/directory.ts';
import type { Role } from '../../src/queries/users.ts';
import { registerClient, type NewClient } from '../../src/oidc/clients.ts';

export type TestProvider = {
  issuer: string;
  port: number;
  config: Config;
  app: App;
  clock: ManualClock;
  server: Server;
  dataDir: string;
  databaseUrl: string | undefined;
  stop(): Promise<void>;
  /** stops the HTTP server and closes the database, keeping the data for a restart */
  restart(): Promise<TestProvider>;
};

/** A throwaway database on the DATABASE_URL server, dropped by the returned function. */
export async function throwawayDatabase(baseUrl: string): Promise<{ url: string; drop(): Promise<void> }> {
  const name = `govlink_test_${randomBytes(6).toString('hex')}`;
  const admin = new pg.Client({ connectionString: baseUrl });
  await admin.connect();
  await admin.query(`create database ${name}`);
  await admin.end();
  const url = new URL(baseUrl);
  url.pathname = `/${name}`;
  return {
    url: url.href,
    async drop() {
      const client = new pg.Client({ connectionString: baseUrl });
      await client.connect();
      await client.query(`drop database if exists ${name} with (force)`);
      await client.end();
    },
  };
}

export async function startTestProvider(options: { env?: Record<string, string>; hostname?: string; startMailSender?: boolean; reuse?: { dataDir: string; databaseUrl?: string; secretKey: string; port: number; clock: ManualClock } } = {}): Promise<TestProvider> {
  const reuse = options.reuse;
  const dataDir = reuse?.dataDir ?? mkdtempSync(path.join(tmpdir(), 'govlink-test-'));
  let database: { url: string; drop(): Promise<void> } | undefined;
  let databaseUrl = reuse?.databaseUrl;
  if (!reuse && process.env.DATABASE_URL) {
    database = await throwawayDatabase(process.env.DATABASE_URL);
    databaseUrl = database.url;
  }
  const secretKey = reuse?.secretKey ?? randomBytes(32).toString('base64url');
  const server = createServer();
  const port = await listen(server, reuse?.port ?? 0, '127.0.0.1');
  // WebAuthn refuses IP addresses as relying party ids: passkey tests use hostname 'localhost'.
  const issuer = `http://${options.hostname ?? '127.0.0.1'}:${port}`;
  const config = loadConfig({
    NODE_ENV: 'test',
    PORT: String(port),
    ISSUER: issuer,
    DATA_DIR: dataDir,
    SECRET_KEY: secretKey,
    ...(databaseUrl ? { DATABASE_URL: databaseUrl } : {}),
    PORTAL_URL: 'http://127.0.0.1:9',
    ...options.env,
  });
  const clock = reuse?.clock ?? new ManualClock();
  const app = await createApp({ config, clock, logger: pino({ level: process.env.TEST_LOG_LEVEL ?? 'silent' }), startMailSender: options.startMailSender });
  server.on('request', app.callback);
  const close = async () => {
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
    await app.close();
  };
  const provider: TestProvider = {
    issuer,
    port,
    config,
    app,
    clock,
    server,
    dataDir,
    databaseUrl,
    async stop() {
      await close();
      await database?.drop();
      rmSync(dataDir, { recursive: true, force: true });
    },
    async restart() {
      await close();
      const next = await startTestProvider({ env: options.env, hostname: options.hostname, startMailSender: options.startMailSender, reuse: { dataDir, databaseUrl, secretKey, port, clock } });
      const stopNext = next.stop;
      next.stop = async () => {
        await stopNext();
        await database?.drop();
      };
      return next;
    },
  };
  return provider;
}

export type TestUser = { id: string; email: string; password: string; orgId: string };

let counter = 0;
export const uniqueEmail = (prefix = 'user') => `${prefix}.${process.pid}.${Date.now()}.${(counter += 1)}@example.gov`;

export async function createTestUser(provider: TestProvider, input: { email?: string; role?: Role; orgName?: string; orgId?: string; name?: string; password?: string } = {}): Promise<TestUser> {
  const { db } = provider.app.services;
  const orgId = input.orgId ?? (await createOrganisation(db, input.orgName ?? `Org ${randomBytes(4).toString('hex')}`)).id;
  const password = input.password ?? `pw-${randomBytes(12).toString('base64url')}`;
  const email = input.email ?? uniqueEmail();
  const user = await createUser(db, { email, orgId, role: input.role ?? 'user', name: input.name ?? 'Test User', password });
  return { id: user.id, email: user.email, password, orgId };
}

export async function registerTestClient(provider: TestProvider, input: Partial<NewClient> & { redirectUris: string[] }): Promise<NewClient> {
  const client: NewClient = {
    clientId: input.clientId ?? `client-${randomBytes(4).toString('hex')}`,
    secret: 'secret' in input ? input.secret : randomBytes(24).toString('base64url'),
    name: input.name ?? 'Test relying party',
    postLogoutRedirectUris: [],
    grantTypes: ['authorization_code', 'refresh_token'],
    firstParty: true,
    ...input,
  };
  const { db, box, provider: oidc } = provider.app.services;
  await registerClient(db, box, oidc, client);
  return client;
}

/** The code an authenticator app would show for `secret`, `offsetSeconds` from the provider's clock. */
export function totpCode(secret: string, clock: ManualClock, offsetSeconds = 0): Promise<string> {
  return generate({ secret, epoch: Math.floor(clock.now().getTime() / 1000) + offsetSeconds });
}
