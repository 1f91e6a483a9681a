// The operator CLI: `npm run cli -- <command>`. The last line printed is
// always one JSON object describing what was done.
import { parseArgs } from 'node:util';
import { ConfigError, loadConfig } from '../config.ts';
import { DatabaseInUseError } from '../db/lock.ts';
import { openDatabase, migrate } from '../db/index.ts';
import { createApp } from '../app.ts';
import { createLogger } from '../logger.ts';
import { DirectoryError } from '../accounts/directory.ts';
import { commands, usage } from './commands.ts';

async function main(argv: string[]): Promise<number> {
  const [noun, verb, ...rest] = argv;
  const config = loadConfig();
  if (noun === 'migrate') {
    const database = await openDatabase(config, { migrate: false });
    try {
      const applied = await migrate(database.knex);
      console.log(JSON.stringify({ migrated: applied }));
    } finally {
      await database.close();
    }
    return 0;
  }
  const command = commands[`${noun} ${verb}`];
  if (!command) {
    console.error(usage);
    return 2;
  }
  const { values } = parseArgs({ args: rest, options: command.options, strict: true, allowPositionals: false });
  const app = await createApp({ config, logger: createLogger({ env: 'production', logLevel: 'warn' }), startMailSender: false });
  try {
    const result = await command.run(app.services, values as Record<string, string | string[] | boolean | undefined>);
    // Mail the command queued (an invitation) goes out now; what cannot be
    // delivered yet stays queued for the server's sender.
    await app.services.mailSender.drain();
    console.log(JSON.stringify(result));
    return 0;
  } finally {
    await app.close();
  }
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (error) => {
    const known = error instanceof ConfigError || error instanceof DatabaseInUseError || error instanceof DirectoryError || (error as { code?: string }).code?.startsWith('ERR_PARSE_ARGS');
    console.error(known ? `error: ${(error as Error).message}` : error);
    console.log(JSON.stringify({ error: (error as { code?: string }).code ?? 'failed', message: (error as Error).message }));
    process.exit(1);
  },
);
