// Starts the provider on its port: used by `npm start` and by the tests.
import { createServer, type Server } from 'node:http';
import type { Clock } from './clock.ts';
import type { Config } from './config.ts';
import type { Logger } from './logger.ts';
import { createApp, listen, type App } from './app.ts';

export type RunningProvider = { app: App; server: Server; port: number; stop(): Promise<void> };

export async function startProvider(config: Config, options: { clock?: Clock; logger?: Logger; host?: string } = {}): Promise<RunningProvider> {
  const app = await createApp({ config, ...options });
  const server = createServer(app.callback);
  // Slow clients must not hold sockets for ever; keep-alive a little longer than a proxy's.
  server.headersTimeout = 20_000;
  server.requestTimeout = 30_000;
  server.keepAliveTimeout = 65_000;
  const port = await listen(server, config.port, options.host);
  return {
    app,
    server,
    port,
    async stop() {
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeIdleConnections();
        setTimeout(() => server.closeAllConnections(), 2_000).unref();
      });
      await app.close();
    },
  };
}
