import type { ParseArgsConfig } from 'node:util';
import type { Services } from '../services.ts';
import { createOrganisation, createUser, DirectoryError, resolveOrganisation } from '../accounts/directory.ts';
import { registerClient, type NewClient } from '../oidc/clients.ts';
import { roles, type Role } from '../queries/users.ts';
import type { Actor } from '../accounts/permissions.ts';

type Values = Record<string, string | string[] | boolean | undefined>;
type Command = { options: NonNullable<ParseArgsConfig['options']>; run(services: Services, values: Values): Promise<unknown> };

export const usage = `usage: npm run cli -- <command>
  migrate
  org create --name NAME
  user create --email EMAIL --org ORG_ID_OR_NAME [--role user|org_admin|super_admin] [--name NAME] [--password PASSWORD]
  client create --client-id ID [--secret SECRET] [--name NAME] [--redirect-uri URI]... [--post-logout-redirect-uri URI]...
                [--grant-types authorization_code,refresh_token,client_credentials] [--first-party]
                [--admin-role org_admin|super_admin --org ORG]`;

function required(values: Values, name: string): string {
  const value = values[name];
  if (typeof value !== 'string' || !value) throw new DirectoryError('missing_option', `--${name} is required.\n${usage}`);
  return value;
}

/** The operator at the command line acts as a super admin. */
const operator: Actor = { userId: null, clientId: null, role: 'super_admin', orgId: null, name: 'Govlink operator' };

const grantTypes = ['authorization_code', 'refresh_token', 'client_credentials'] as const;

export const commands: Record<string, Command> = {
  'org create': {
    options: { name: { type: 'string' } },
    async run({ db }, values) {
      return createOrganisation(db, required(values, 'name'));
    },
  },
  'user create': {
    options: { email: { type: 'string' }, org: { type: 'string' }, role: { type: 'string' }, name: { type: 'string' }, password: { type: 'string' } },
    async run(services, values) {
      const role = (values.role ?? 'user') as Role;
      if (!roles.includes(role)) throw new DirectoryError('invalid_role', `--role is one of ${roles.join(', ')}.`);
      const organisation = await resolveOrganisation(services.db, required(values, 'org'));
      const input = { email: required(values, 'email'), orgId: organisation.id, role, name: values.name as string | undefined };
      const user =
        values.password === undefined
          ? await services.lifecycle.invite(operator, { ip: 'cli', userAgent: 'govlink-idp cli' }, input)
          : await createUser(services.db, { ...input, password: values.password as string });
      return { id: user.id, email: user.email, name: user.name, orgId: user.orgId, role: user.role, status: user.status };
    },
  },
  'client create': {
    options: {
      'client-id': { type: 'string' },
      secret: { type: 'string' },
      name: { type: 'string' },
      'redirect-uri': { type: 'string', multiple: true },
      'post-logout-redirect-uri': { type: 'string', multiple: true },
      'grant-types': { type: 'string' },
      'first-party': { type: 'boolean' },
      'admin-role': { type: 'string' },
      org: { type: 'string' },
    },
    async run(services, values) {
      const requested = String(values['grant-types'] ?? 'authorization_code,refresh_token').split(',').map((g) => g.trim()).filter(Boolean);
      const unknown = requested.filter((g) => !(grantTypes as readonly string[]).includes(g));
      if (unknown.length) throw new DirectoryError('invalid_grant_types', `Unknown grant types: ${unknown.join(', ')}. Use ${grantTypes.join(', ')}.`);
      const adminRole = values['admin-role'] as string | undefined;
      if (adminRole !== undefined && adminRole !== 'org_admin' && adminRole !== 'super_admin') throw new DirectoryError('invalid_admin_role', '--admin-role is org_admin or super_admin.');
      const organisation = typeof values.org === 'string' ? await resolveOrganisation(services.db, values.org) : undefined;
      const input: NewClient = {
        clientId: required(values, 'client-id'),
        secret: values.secret as string | undefined,
        name: values.name as string | undefined,
        redirectUris: (values['redirect-uri'] as string[] | undefined) ?? [],
        postLogoutRedirectUris: (values['post-logout-redirect-uri'] as string[] | undefined) ?? [],
        grantTypes: requested as NewClient['grantTypes'],
        firstParty: Boolean(values['first-party']),
        adminRole,
        orgId: organisation?.id,
      };
      const metadata = await registerClient(services.db, services.box, services.provider, input);
      return {
        clientId: metadata.client_id,
        confidential: Boolean(input.secret),
        grantTypes: metadata.grant_types,
        redirectUris: metadata.redirect_uris,
        postLogoutRedirectUris: metadata.post_logout_redirect_uris,
        firstParty: metadata.first_party,
        ...(adminRole ? { adminRole, orgId: organisation?.id ?? null } : {}),
      };
    },
  },
};
