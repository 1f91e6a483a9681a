// `npm start`: the provider and the Govlink portal, on the embedded database
// unless DATABASE_URL says otherwise.
import { ConfigError, loadConfig } from '../src/config.ts';
import { createLogger } from '../src/logger.ts';
import { startProvider } from '../src/server.ts';
import { portalClientId, portalClientSecret, seedDemoData } from '../src/seed.ts';
import { DatabaseInUseError } from '../src/db/lock.ts';
import { startPortal } from '../portal/server.ts';

async function main() {
  const config = loadConfig();
  const logger = createLogger(config);
  const provider = await startProvider(config, { logger });
  const { services } = provider.app;
  const seeded = await seedDemoData(services, { adminPassword: config.demoAdminPassword });

  const portal = await startPortal({
    issuer: config.issuer,
    clientId: config.portal.clientId ?? portalClientId,
    clientSecret: config.portal.clientSecret ?? portalClientSecret(services),
    baseUrl: config.portal.url,
    port: config.portal.port,
    cookieSecret: services.box.derive('portal-cookie'),
    logger: logger.child({ app: 'portal' }),
  });

  logger.info(`Provider: ${config.issuer}  (discovery: ${config.issuer}/.well-known/openid-configuration)`);
  logger.info(`Govlink portal: ${config.portal.url}`);
  if (seeded) {
    logger.info(
      `Demo data created. Sign in at ${config.portal.url} as ${seeded.email} with the password ${seeded.password} ` +
        '(shown only now), then set up an authenticator app when asked.',
    );
  }

  let stopping = false;
  const stop = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    logger.info({ signal }, 'stopping');
    await portal.stop();
    await provider.stop();
    process.exit(0);
  };
  process.on('SIGINT', () => void stop('SIGINT'));
  process.on('SIGTERM', () => void stop('SIGTERM'));
}

main().catch((error) => {
  if (error instanceof ConfigError || error instanceof DatabaseInUseError) {
    console.error(error.message);
  } else {
    console.error(error);
  }
  process.exit(1);
});
