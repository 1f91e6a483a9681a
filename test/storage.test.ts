// Storage: migrations, oidc-provider's adapter, signing and cookie keys, and
// the embedded database's lock. The database-level tests run on both kinds of
// database in every run (PGlite and a throwaway Postgres database); the
// provider-level ones on the run's own kind.
import test from 'ava';
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import path from 'node:path';
import * as oidc from 'openid-client';
import pino from 'pino';
import type { JWK } from 'oidc-provider';
import { openDatabase, migrate, type Database, type Db } from '../src/db/index.ts';
import { DatabaseInUseError } from '../src/db/lock.ts';
import { SecretBox } from '../src/crypto.ts';
import { adapterFactory, pruneExpiredPayloads } from '../src/oidc/adapter.ts';
import { loadProviderKeys } from '../src/oidc/keys.ts';
import { createApp, listen } from '../src/app.ts';
import { loadConfig } from '../src/config.ts';
import { createTestUser, registerTestClient, startTestProvider } from './helpers/server.ts';
import { freshDatabase, postgresReachable, type DatabaseKind, type FreshDatabase } from './helpers/databases.ts';
import { runCli } from './helpers/cli.ts';
import { relyingParty, signIn, startAuthorization } from './helpers/flows.ts';

const postgresAvailable = await postgresReachable();
const kinds: DatabaseKind[] = ['pglite', 'postgres'];
const secretKey = randomBytes(32).toString('base64url');
const box = new SecretBox(secretKey);
const redirectUri = 'http://127.0.0.1:9/callback';

/** Registers `title` for one kind of database, skipped when that Postgres server is not there. */
function testOn(kind: DatabaseKind, title: string, body: (t: import('ava').ExecutionContext) => Promise<void>) {
  const register = kind === 'postgres' && !postgresAvailable ? test.skip : test;
  register(`[${kind}] ${title}`, body);
}

// One database per kind, migrated by the first test that asks for it; the
// migration results are kept for the migrations test to check.
type Migrated = { fresh: FreshDatabase; database: Database; tablesBefore: string[]; firstRun: string[]; secondRun: string[] };
const migrated = new Map<DatabaseKind, Promise<Migrated>>();
const cleanups: (() => Promise<void>)[] = [];

async function publicTables(db: Db): Promise<string[]> {
  const rows: { table_name: string }[] = await db('information_schema.tables').select('table_name').where({ table_schema: 'public' });
  return rows.map((r) => r.table_name).sort();
}

function migratedDatabase(kind: DatabaseKind): Promise<Migrated> {
  let opened = migrated.get(kind);
  if (!opened) {
    opened = (async () => {
      const fresh = await freshDatabase(kind);
      const database = await openDatabase(fresh, { migrate: false });
      cleanups.push(async () => {
        await database.close();
        await fresh.remove();
      });
      const tablesBefore = await publicTables(database.knex);
      const firstRun = await migrate(database.knex);
      const secondRun = await migrate(database.knex);
      return { fresh, database, tablesBefore, firstRun, secondRun };
    })();
    migrated.set(kind, opened);
  }
  return opened;
}

test.after.always(async () => {
  for (const cleanup of cleanups) await cleanup();
});

const migrationFiles = readdirSync(new URL('../migrations/', import.meta.url))
  .filter((name) => /^\d+_[\w-]+\.ts$/.test(name))
  .sort();

for (const kind of kinds) {
  testOn(kind, 'migrations apply on an empty database, and running them again applies nothing', async (t) => {
    const { database, tablesBefore, firstRun, secondRun } = await migratedDatabase(kind);
    t.deepEqual(tablesBefore, [], 'the database starts empty');
    t.deepEqual(firstRun, migrationFiles, 'every migration is applied, in file-name order');
    t.deepEqual(secondRun, [], 'nothing is applied twice');
    const tables = await publicTables(database.knex);
    for (const table of ['organisations', 'users', 'totp_authenticators', 'pending_logins', 'attempt_counters', 'oidc_payloads', 'oidc_clients', 'key_material', 'audit_events']) {
      t.true(tables.includes(table), table);
    }
  });

  testOn(kind, 'the adapter stores, finds, consumes and destroys each model separately', async (t) => {
    const { database } = await migratedDatabase(kind);
    const Adapter = adapterFactory(database.knex, box);
    const accessTokens = new Adapter('AccessToken');
    const id = randomBytes(16).toString('base64url');
    await accessTokens.upsert(id, { jti: id, kind: 'AccessToken', accountId: 'first', grantId: 'grant-a' }, 600);
    t.like(await accessTokens.find(id), { jti: id, accountId: 'first', grantId: 'grant-a' });
    t.is(await new Adapter('RefreshToken').find(id), undefined, 'another model with the same id is a different row');

    await accessTokens.upsert(id, { jti: id, kind: 'AccessToken', accountId: 'second', grantId: 'grant-a' }, 600);
    t.like(await accessTokens.find(id), { accountId: 'second' }, 'an upsert replaces the payload');
    const rows = await database.knex('oidc_payloads').where({ model: 'AccessToken', id }).count<{ n: string }[]>('* as n');
    t.is(Number(rows[0]!.n), 1);

    t.is((await accessTokens.find(id))?.consumed, undefined);
    const before = Math.floor(Date.now() / 1000);
    await accessTokens.consume(id);
    const consumed = (await accessTokens.find(id))?.consumed as number;
    t.true(consumed >= before - 1 && consumed <= Math.floor(Date.now() / 1000) + 1, 'consumed is the time of consumption in seconds');

    await accessTokens.destroy(id);
    t.is(await accessTokens.find(id), undefined);
  });

  testOn(kind, 'the adapter finds sessions by uid and device codes by user code', async (t) => {
    const { database } = await migratedDatabase(kind);
    const Adapter = adapterFactory(database.knex, box);
    const sessions = new Adapter('Session');
    const uid = randomBytes(16).toString('base64url');
    const sessionId = randomBytes(16).toString('base64url');
    await sessions.upsert(sessionId, { jti: sessionId, uid, accountId: 'someone' }, 600);
    t.like(await sessions.findByUid!(uid), { jti: sessionId, uid, accountId: 'someone' });
    t.is(await sessions.findByUid!('no-such-uid'), undefined);

    const deviceCodes = new Adapter('DeviceCode');
    const userCode = `${randomBytes(4).toString('hex')}-${randomBytes(4).toString('hex')}`.toUpperCase();
    const codeId = randomBytes(16).toString('base64url');
    await deviceCodes.upsert(codeId, { jti: codeId, userCode, grantId: 'grant-d' }, 600);
    t.like(await deviceCodes.findByUserCode!(userCode), { jti: codeId, userCode });
    t.is(await deviceCodes.findByUserCode!('NOPE-NOPE'), undefined);
  });

  testOn(kind, 'revoking a grant removes every token of that grant and nothing else', async (t) => {
    const { database } = await migratedDatabase(kind);
    const Adapter = adapterFactory(database.knex, box);
    const grantId = randomBytes(16).toString('base64url');
    const otherGrantId = randomBytes(16).toString('base64url');
    const models = ['AccessToken', 'RefreshToken', 'AuthorizationCode', 'DeviceCode', 'BackchannelAuthenticationRequest'];
    const ids = new Map<string, string>();
    for (const model of models) {
      const id = randomBytes(16).toString('base64url');
      ids.set(model, id);
      await new Adapter(model).upsert(id, { jti: id, grantId }, 600);
    }
    const survivor = randomBytes(16).toString('base64url');
    await new Adapter('AccessToken').upsert(survivor, { jti: survivor, grantId: otherGrantId }, 600);

    await new Adapter('AccessToken').revokeByGrantId(grantId);
    for (const model of models) t.is(await new Adapter(model).find(ids.get(model)!), undefined, `${model} of the revoked grant`);
    t.like(await new Adapter('AccessToken').find(survivor), { grantId: otherGrantId }, 'a token of another grant stays');
  });

  testOn(kind, 'an expired row is never returned, and pruning deletes expired rows only', async (t) => {
    const { database } = await migratedDatabase(kind);
    const db = database.knex;
    const Adapter = adapterFactory(db, box);
    const expired = { id: randomBytes(16).toString('base64url'), uid: randomBytes(16).toString('base64url'), userCode: randomBytes(6).toString('hex') };
    const current = randomBytes(16).toString('base64url');
    const forever = randomBytes(16).toString('base64url');
    const interactions = new Adapter('Interaction');
    await interactions.upsert(expired.id, { jti: expired.id, uid: expired.uid, userCode: expired.userCode }, 60);
    await interactions.upsert(current, { jti: current }, 60);
    await interactions.upsert(forever, { jti: forever }, 0);
    t.truthy(await interactions.find(expired.id));

    // The row's lifetime runs out (the adapter reads the real clock).
    await db('oidc_payloads').where({ model: 'Interaction', id: expired.id }).update({ expires_at: new Date(Date.now() - 1000) });
    t.is(await interactions.find(expired.id), undefined);
    t.is(await interactions.findByUid!(expired.uid), undefined);
    t.is(await interactions.findByUserCode!(expired.userCode), undefined);

    await pruneExpiredPayloads(db);
    const left: string[] = await db('oidc_payloads').where({ model: 'Interaction' }).whereIn('id', [expired.id, current, forever]).pluck('id');
    t.deepEqual(left.sort(), [current, forever].sort(), 'the expired row is gone; the live ones and one without expiry stay');
    t.truthy(await interactions.find(forever));
  });

  testOn(kind, 'oidc_payloads has indexes on grant_id, uid and user_code', async (t) => {
    const { database } = await migratedDatabase(kind);
    const definitions: string[] = await database
      .knex('pg_indexes')
      .where({ schemaname: 'public', tablename: 'oidc_payloads' })
      .pluck('indexdef');
    for (const column of ['grant_id', 'uid', 'user_code']) {
      t.true(
        definitions.some((d) => new RegExp(`\\(${column}\\)$`).test(d)),
        `an index on ${column} in ${definitions.join('; ')}`,
      );
    }
  });

  testOn(kind, 'signing and cookie keys are made on first start, sealed at rest and the same after a restart', async (t) => {
    const { database } = await migratedDatabase(kind);
    const db = database.knex;
    const first = await loadProviderKeys(db, box);
    t.deepEqual(first.jwks.keys.map((k) => k.alg).sort(), ['ES256', 'RS256']);
    t.is(first.cookieKeys.length, 1);
    const rows: { kid: string; kind: string; sealed: string }[] = await db('key_material').select('kid', 'kind', 'sealed');
    t.is(rows.filter((r) => r.kind === 'signing').length, 2);
    t.is(rows.filter((r) => r.kind === 'cookie').length, 1);

    for (const key of first.jwks.keys as (JWK & { d: string; kid: string })[]) {
      t.truthy(key.d, 'the provider has the private key');
      const row = rows.find((r) => r.kid === key.kid);
      t.truthy(row, `key ${key.kid} is stored`);
      t.false(row!.sealed.includes(key.d), 'the private exponent is not stored in clear');
      t.false(row!.sealed.includes('"d"') || row!.sealed.includes('kty'), 'no JWK in clear');
    }
    const cookieRow = rows.find((r) => r.kind === 'cookie')!;
    t.false(cookieRow.sealed.includes(first.cookieKeys[0]!), 'the cookie key is not stored in clear');

    const restarted = await loadProviderKeys(db, box);
    t.deepEqual(restarted, first, 'a restart signs and verifies with the same keys');
    t.is(await db('key_material').count<{ n: string }[]>('* as n').then((r) => Number(r[0]!.n)), 3, 'a restart makes no new keys');

    const wrongSecret = new SecretBox(randomBytes(32).toString('base64url'));
    await t.throwsAsync(loadProviderKeys(db, wrongSecret), undefined, 'keys sealed with SECRET_KEY do not open with another');
  });
}

testOn('postgres', 'two processes starting together on one empty Postgres database end with one set of keys', async (t) => {
  const fresh = await freshDatabase('postgres');
  t.teardown(() => fresh.remove());
  const config = loadConfig({ NODE_ENV: 'test', DATABASE_URL: fresh.databaseUrl, DATA_DIR: fresh.dataDir, SECRET_KEY: secretKey, PORTAL_URL: 'http://127.0.0.1:9' });
  const apps = await Promise.all([0, 1, 2].map(() => createApp({ config, logger: pino({ level: 'silent' }) })));
  const published: string[][] = [];
  for (const app of apps) {
    const server = createServer(app.callback);
    const port = await listen(server, 0, '127.0.0.1');
    const jwks = (await (await fetch(`http://127.0.0.1:${port}/jwks`)).json()) as { keys: { kid: string }[] };
    published.push(jwks.keys.map((k) => k.kid).sort());
    server.closeAllConnections();
    server.close();
    await app.close();
  }
  t.is(published[0]!.length, 2);
  t.deepEqual(published[1], published[0], 'every process publishes the same signing keys');
  t.deepEqual(published[2], published[0]);
  const check = await openDatabase(fresh);
  t.teardown(() => check.close());
  const kinds: string[] = await check.knex('key_material').pluck('kind');
  t.deepEqual(kinds.sort(), ['cookie', 'signing', 'signing']);
});

test('tokens and the sign-in session issued before a restart stay valid after it', async (t) => {
  let provider = await startTestProvider();
  t.teardown(() => provider.stop());
  const user = await createTestUser(provider);
  const rp = await relyingParty(provider, await registerTestClient(provider, { redirectUris: [redirectUri] }));
  const { tokens, ua } = await signIn(provider, rp, user);

  provider = await provider.restart();

  const userinfo = await oidc.fetchUserInfo(rp.config, tokens.access_token, user.id);
  t.is(userinfo.email, user.email, 'the old access token still works');
  const refreshed = await oidc.refreshTokenGrant(rp.config, tokens.refresh_token!);
  t.truthy(refreshed.access_token, 'the old refresh token still works');
  t.is(refreshed.claims()?.sub, user.id);
  const sso = await ua.get((await startAuthorization(rp, { prompt: '' })).url.href, redirectUri);
  t.true(sso.url.startsWith(redirectUri), 'the browser is still signed in (same cookie keys)');
  const { kid } = JSON.parse(Buffer.from(tokens.id_token!.split('.')[0]!, 'base64url').toString()) as { kid: string };
  const jwks = (await (await fetch(`${provider.issuer}/jwks`)).json()) as { keys: { kid: string }[] };
  t.true(jwks.keys.some((k) => k.kid === kid), 'the ID token issued before the restart still verifies with the published keys');
});

// The embedded database (PGlite) is single-process: these run on PGlite in every run.

async function emptyPgliteDirectory(t: import('ava').ExecutionContext): Promise<FreshDatabase> {
  const fresh = await freshDatabase('pglite');
  t.teardown(() => fresh.remove());
  return fresh;
}

async function organisationNames(db: Db): Promise<string[]> {
  const names: string[] = await db('organisations').pluck('name');
  return names.sort();
}

test('while one process has the embedded database open, another stops with a clear message and the data stays usable', async (t) => {
  const { dataDir } = await emptyPgliteDirectory(t);
  const first = await openDatabase({ dataDir, databaseUrl: undefined });
  let open = true;
  t.teardown(() => (open ? first.close() : undefined));
  await first.knex('organisations').insert({ name: 'Before' });

  const second = await runCli(['org', 'create', '--name', 'Second process'], { DATA_DIR: dataDir, SECRET_KEY: secretKey });
  t.not(second.code, 0);
  t.regex(second.stderr, /embedded database .*pglite is in use by another process \(pid \d+\)/);
  t.true(second.stderr.includes(`pid ${process.pid}`), 'names the process holding it');
  t.regex(second.stderr, /DATABASE_URL/, 'says how to share the data between processes');
  t.false(second.stderr.includes('    at '), 'a message, not a stack trace');

  await first.knex('organisations').insert({ name: 'After' });
  t.deepEqual(await organisationNames(first.knex), ['After', 'Before'], 'the first process still reads and writes');
  await first.close();
  open = false;
  t.false(existsSync(path.join(dataDir, 'pglite.lock')), 'closing releases the lock');

  const reopened = await openDatabase({ dataDir, databaseUrl: undefined });
  t.deepEqual(await organisationNames(reopened.knex), ['After', 'Before'], 'nothing was lost or added');
  await reopened.close();
});

test('a lock left by a process that crashed is taken over', async (t) => {
  const { dataDir } = await emptyPgliteDirectory(t);
  const crashing = `
    import { openDatabase } from ${JSON.stringify(new URL('../src/db/index.ts', import.meta.url).href)};
    const database = await openDatabase({ dataDir: ${JSON.stringify(dataDir)}, databaseUrl: undefined });
    await database.knex('organisations').insert({ name: 'Before the crash' });
    process.kill(process.pid, 'SIGKILL');`;
  const signal = await new Promise<NodeJS.Signals | null>((resolve, reject) => {
    const child = spawn(process.execPath, ['--input-type=module', '-e', crashing], { stdio: 'ignore' });
    child.on('error', reject);
    child.on('exit', (_code, killedBy) => resolve(killedBy));
  });
  t.is(signal, 'SIGKILL');
  const lockFile = path.join(dataDir, 'pglite.lock');
  t.true(existsSync(lockFile), 'the crashed process left its lock behind');

  const next = await runCli(['org', 'create', '--name', 'After the crash'], { DATA_DIR: dataDir, SECRET_KEY: secretKey });
  t.is(next.code, 0, next.stderr);
  t.like(next.json, { name: 'After the crash' });
  t.false(existsSync(lockFile), 'the CLI released the lock it took over');

  const database = await openDatabase({ dataDir, databaseUrl: undefined });
  t.deepEqual(await organisationNames(database.knex), ['After the crash', 'Before the crash']);
  await database.close();
});

test('a lock naming our own pid, left by an earlier process with that pid (a restarted container), is taken over', async (t) => {
  const { dataDir } = await emptyPgliteDirectory(t);
  writeFileSync(path.join(dataDir, 'pglite.lock'), String(process.pid));
  const database = await openDatabase({ dataDir, databaseUrl: undefined });
  t.teardown(() => database.close());
  t.is(readFileSync(path.join(dataDir, 'pglite.lock'), 'utf8'), String(process.pid));
  const again = await t.throwsAsync(openDatabase({ dataDir, databaseUrl: undefined }), { instanceOf: DatabaseInUseError });
  t.regex(again?.message ?? '', /already open in this process/, 'opening it twice in one process is still refused');
});
