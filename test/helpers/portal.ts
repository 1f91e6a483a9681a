// The provider and the Govlink portal side by side, as `npm start` runs
// them: the portal registered as the provider's first-party client.
import { createServer } from 'node:net';
import pino from 'pino';
import { startTestProvider, type TestProvider } from './server.ts';
import { startPortal, type RunningPortal } from '../../portal/server.ts';
import { ensurePortalClient, portalClientId, portalClientSecret } from '../../src/seed.ts';

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise((resolve) => server.close(resolve));
  return port;
}

export async function startProviderWithPortal(): Promise<{ provider: TestProvider; portal: RunningPortal; stop(): Promise<void> }> {
  const portalPort = await freePort();
  const portalUrl = `http://127.0.0.1:${portalPort}`;
  const provider = await startTestProvider({ env: { PORTAL_URL: portalUrl } });
  await ensurePortalClient(provider.app.services);
  const portal = await startPortal({
    issuer: provider.issuer,
    clientId: portalClientId,
    clientSecret: portalClientSecret(provider.app.services),
    baseUrl: portalUrl,
    cookieSecret: 'a portal cookie secret of at least 32 characters',
    port: portalPort,
    host: '127.0.0.1',
    logger: pino({ level: 'silent' }),
  });
  return {
    provider,
    portal,
    async stop() {
      await portal.stop();
      await provider.stop();
    },
  };
}
