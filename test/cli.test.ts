// The operator CLI, run as an operator runs it: a separate process on the
// run's database (a PGlite directory, or a throwaway Postgres database when
// DATABASE_URL is set). Its last line on stdout is one JSON object.
import test from 'ava';
import { randomBytes } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import * as oidc from 'openid-client';
import { ManualClock } from '../src/clock.ts';
import { startTestProvider, totpCode, type TestProvider } from './helpers/server.ts';
import { freshDatabase, runKind, type FreshDatabase } from './helpers/databases.ts';
import { runCli, type CliResult } from './helpers/cli.ts';
import { UserAgent } from './helpers/user-agent.ts';
import { continueFrom, finishAuthorization, relyingParty, secretFromSetupPage, startAuthorization } from './helpers/flows.ts';

const secretKey = randomBytes(32).toString('base64url');
let database: FreshDatabase;
let provider: TestProvider | undefined;

test.before(async () => {
  database = await freshDatabase(runKind);
});
test.after.always(async () => {
  await provider?.stop();
  await database?.remove();
});

function cli(...args: string[]): Promise<CliResult> {
  return runCli(args, { DATA_DIR: database.dataDir, DATABASE_URL: database.databaseUrl, SECRET_KEY: secretKey });
}

const uuid = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
const migrationFiles = readdirSync(new URL('../migrations/', import.meta.url))
  .filter((name) => /^\d+_[\w-]+\.ts$/.test(name))
  .sort();

// What the commands below create, for the later tests.
const created = {
  orgId: '',
  orgName: 'Ministry of Tests',
  admin: { id: '', email: 'ada.admin@example.gov', password: 'correct horse battery staple 42' },
  invitedEmail: 'grace.invited@example.gov',
  webClient: { clientId: 'web-app', secret: randomBytes(24).toString('hex'), redirectUris: ['http://127.0.0.1:9/one', 'http://127.0.0.1:9/two'], postLogoutRedirectUris: ['http://127.0.0.1:9/bye', 'http://127.0.0.1:9/farewell'] },
  publicClient: { clientId: 'spa-app', redirectUris: ['http://127.0.0.1:9/spa'] },
  superService: { clientId: 'super-service', secret: randomBytes(24).toString('hex') },
  orgService: { clientId: 'org-service', secret: randomBytes(24).toString('hex') },
};

function succeeded(t: import('ava').ExecutionContext, result: CliResult): Record<string, unknown> {
  t.is(result.code, 0, `exit code; stderr:\n${result.stderr}`);
  t.truthy(result.json, `the last line is a JSON object:\n${result.stdout}`);
  return result.json ?? {};
}

test.serial('migrate on an empty database applies every migration and says which', async (t) => {
  const json = succeeded(t, await cli('migrate'));
  t.deepEqual(json, { migrated: migrationFiles });
});

test.serial('org create prints the new organisation', async (t) => {
  const json = succeeded(t, await cli('org', 'create', '--name', created.orgName));
  t.regex(String(json.id), uuid);
  t.like(json, { name: created.orgName });
  created.orgId = String(json.id);
});

test.serial('user create with a password, organisation by id: an active user with the role and name given', async (t) => {
  const json = succeeded(
    t,
    await cli('user', 'create', '--email', 'Ada.Admin@Example.gov', '--org', created.orgId, '--role', 'org_admin', '--name', 'Ada Admin', '--password', created.admin.password),
  );
  t.regex(String(json.id), uuid);
  t.like(json, { email: created.admin.email, name: 'Ada Admin', orgId: created.orgId, role: 'org_admin', status: 'active' });
  t.false(JSON.stringify(json).includes(created.admin.password) || JSON.stringify(json).includes('argon2'), 'neither the password nor its hash is printed');
  created.admin.id = String(json.id);
});

test.serial('user create without a password, organisation by name: an invited user with the role user', async (t) => {
  const json = succeeded(t, await cli('user', 'create', '--email', created.invitedEmail, '--org', created.orgName.toUpperCase()));
  t.regex(String(json.id), uuid);
  t.like(json, { email: created.invitedEmail, orgId: created.orgId, role: 'user', status: 'invited' });
  // The invitation went out by email (the outbox folder by default), with its link.
  const outbox = path.join(database.dataDir, 'outbox');
  const mails = readdirSync(outbox).map((name) => JSON.parse(readFileSync(path.join(outbox, name), 'utf8')) as { to: string; text: string; html: string });
  const invitation = mails.find((mail) => mail.to === created.invitedEmail);
  t.truthy(invitation, 'an invitation mail was written');
  t.regex(invitation?.text ?? '', /\/link\/[\w-]{43}/);
});

test.serial('client create with a secret: a confidential client with the default grant types and every URI given', async (t) => {
  const { clientId, secret, redirectUris, postLogoutRedirectUris } = created.webClient;
  const json = succeeded(
    t,
    await cli(
      'client', 'create', '--client-id', clientId, '--secret', secret,
      '--redirect-uri', redirectUris[0]!, '--redirect-uri', redirectUris[1]!,
      '--post-logout-redirect-uri', postLogoutRedirectUris[0]!, '--post-logout-redirect-uri', postLogoutRedirectUris[1]!,
    ),
  );
  t.like(json, { clientId, confidential: true, grantTypes: ['authorization_code', 'refresh_token'], redirectUris, postLogoutRedirectUris, firstParty: false });
  t.false(JSON.stringify(json).includes(secret), 'the secret is not printed');
});

test.serial('client create without a secret: a public client', async (t) => {
  const { clientId, redirectUris } = created.publicClient;
  const json = succeeded(t, await cli('client', 'create', '--client-id', clientId, '--redirect-uri', redirectUris[0]!));
  t.like(json, { clientId, confidential: false, grantTypes: ['authorization_code', 'refresh_token'], redirectUris, postLogoutRedirectUris: [] });
});

test.serial('client create --admin-role: service clients for the management API, org_admin bound to its organisation', async (t) => {
  const superJson = succeeded(
    t,
    await cli('client', 'create', '--client-id', created.superService.clientId, '--secret', created.superService.secret, '--grant-types', 'client_credentials', '--admin-role', 'super_admin'),
  );
  t.like(superJson, { clientId: created.superService.clientId, confidential: true, grantTypes: ['client_credentials'], adminRole: 'super_admin', orgId: null });

  const orgJson = succeeded(
    t,
    await cli('client', 'create', '--client-id', created.orgService.clientId, '--secret', created.orgService.secret, '--grant-types', 'client_credentials', '--admin-role', 'org_admin', '--org', created.orgName),
  );
  t.like(orgJson, { clientId: created.orgService.clientId, grantTypes: ['client_credentials'], adminRole: 'org_admin', orgId: created.orgId });
});

test.serial('bad input exits non-zero with a clear message on stderr', async (t) => {
  const refused = async (args: string[], message: RegExp) => {
    const result = await cli(...args);
    t.not(result.code, 0, args.join(' '));
    t.regex(result.stderr, message, args.join(' '));
    t.false(result.stderr.includes('    at '), `a message, not a stack trace: ${args.join(' ')}`);
    t.truthy(result.json?.error, `the last line says it failed: ${result.stdout}`);
  };
  await refused(['user', 'create', '--email', 'nobody@example.gov', '--org', 'No Such Organisation'], /No organisation "No Such Organisation"/);
  await refused(['user', 'create', '--email', created.admin.email.toUpperCase(), '--org', created.orgId, '--role', 'user'], /exists already/);
  await refused(['user', 'create', '--email', 'weak@example.gov', '--org', created.orgId, '--password', 'short'], /password is not acceptable/);
  await refused(['user', 'create', '--email', 'root@example.gov', '--org', created.orgId, '--role', 'root'], /--role is one of user, org_admin, super_admin/);
  await refused(['user', 'create', '--org', created.orgId], /--email is required/);
  await refused(['client', 'create', '--client-id', 'bad-grants', '--redirect-uri', 'http://127.0.0.1:9/x', '--grant-types', 'authorization_code,implicit'], /Unknown grant types: implicit/);
  await refused(['client', 'create', '--client-id', 'bad-admin', '--secret', 'a-service-secret', '--redirect-uri', 'http://127.0.0.1:9/x', '--admin-role', 'super_admin'], /--admin-role .*client_credentials/);
});

test.serial('clients and users made by the CLI work with the provider, and bad input created nothing', async (t) => {
  provider = await startTestProvider({ reuse: { dataDir: database.dataDir, databaseUrl: database.databaseUrl, secretKey, port: 0, clock: new ManualClock() } });
  const { db } = provider.app.services;

  t.deepEqual(await db('organisations').pluck('name'), [created.orgName]);
  t.deepEqual(((await db('users').pluck('email')) as string[]).sort(), [created.admin.email, created.invitedEmail]);
  t.like(await db('users').where({ email: created.admin.email }).first(), { role: 'org_admin', name: 'Ada Admin' }, 'the duplicate changed nothing');
  t.deepEqual(((await db('oidc_clients').pluck('client_id')) as string[]).sort(), ['org-service', 'spa-app', 'super-service', 'web-app']);

  // Service clients get access tokens for the management API.
  const resource = `${provider.issuer}/admin/api`;
  for (const service of [created.superService, created.orgService]) {
    const response = await fetch(`${provider.issuer}/token`, {
      method: 'POST',
      headers: { authorization: `Basic ${Buffer.from(`${service.clientId}:${service.secret}`).toString('base64')}` },
      body: new URLSearchParams({ grant_type: 'client_credentials', resource }),
    });
    const body = (await response.json()) as Record<string, unknown>;
    t.is(response.status, 200, `${service.clientId}: ${JSON.stringify(body)}`);
    t.truthy(body.access_token, service.clientId);
    t.is(body.token_type, 'Bearer');
  }
  const wrongSecret = await fetch(`${provider.issuer}/token`, {
    method: 'POST',
    headers: { authorization: `Basic ${Buffer.from(`${created.superService.clientId}:not-the-secret`).toString('base64')}` },
    body: new URLSearchParams({ grant_type: 'client_credentials', resource }),
  });
  t.is(wrongSecret.status, 401, 'the stored secret is the one given');

  // The confidential web client: discovery, then the whole sign-in of the CLI-made
  // user, back to its second redirect URI.
  const web = await relyingParty(provider, { ...created.webClient, grantTypes: ['authorization_code', 'refresh_token'] });
  web.redirectUri = created.webClient.redirectUris[1]!;
  const ua = new UserAgent();
  const authorization = await startAuthorization(web);
  await ua.get(authorization.url.href, web.redirectUri);
  const setup = await ua.submit({ email: created.admin.email, password: created.admin.password }, { stopAt: web.redirectUri });
  const secret = secretFromSetupPage(setup);
  let page = await continueFrom(ua, await ua.submit({ code: await totpCode(secret, provider.clock) }, { stopAt: web.redirectUri }), web.redirectUri);
  // A client made by the CLI is not first-party: the user is asked to consent.
  t.regex(page.body, /action="\/interaction\/[^"]+\/consent"/);
  page = await ua.submit({}, { selector: 'form[action$="/consent"]', stopAt: web.redirectUri });
  t.true(page.url.startsWith(web.redirectUri), page.url);
  const tokens = await finishAuthorization(web, authorization, page.url);
  t.like(tokens.claims(), { sub: created.admin.id, acr: 'mfa' });

  // The public client: same browser (already signed in), no secret at the token endpoint.
  const spa = await relyingParty(provider, { ...created.publicClient, postLogoutRedirectUris: [], grantTypes: ['authorization_code', 'refresh_token'] });
  const spaAuthorization = await startAuthorization(spa, { prompt: '' });
  page = await ua.get(spaAuthorization.url.href, spa.redirectUri);
  page = await ua.submit({}, { selector: 'form[action$="/consent"]', stopAt: spa.redirectUri });
  const spaTokens = await finishAuthorization(spa, spaAuthorization, page.url);
  t.is(spaTokens.claims()?.sub, created.admin.id);

  // The second post-logout redirect URI is registered too.
  const endSession = oidc.buildEndSessionUrl(web.config, { id_token_hint: tokens.id_token!, post_logout_redirect_uri: created.webClient.postLogoutRedirectUris[1]! });
  await ua.get(endSession.href, 'http://127.0.0.1:9/');
  const out = await ua.submit({ logout: 'yes' }, { stopAt: 'http://127.0.0.1:9/' });
  t.true(out.url.startsWith(created.webClient.postLogoutRedirectUris[1]!), out.url);
});
