// Everything a route needs, built once in app.ts and handed down.
import type Provider from 'oidc-provider';
import type { Clock } from './clock.ts';
import type { Config } from './config.ts';
import type { SecretBox } from './crypto.ts';
import type { Db } from './db/index.ts';
import type { Logger } from './logger.ts';
import type { AttemptLimiter } from './accounts/attempt-limits.ts';
import type { Audit } from './accounts/audit.ts';
import type { SignIn } from './accounts/sign-in.ts';
import type { ActionLinks } from './accounts/action-links.ts';
import type { LinkFlows } from './accounts/link-flows.ts';
import type { Lifecycle } from './accounts/lifecycle.ts';
import type { Passkeys } from './accounts/passkeys.ts';
import type { RecoveryCodes } from './accounts/recovery-codes.ts';
import type { createViews } from './http/views.ts';
import type { Mailer } from './mail/mailer.ts';
import type { MailSender } from './mail/sender.ts';

export type Services = {
  config: Config;
  db: Db;
  box: SecretBox;
  clock: Clock;
  logger: Logger;
  provider: Provider;
  limiter: AttemptLimiter;
  audit: Audit;
  signIn: SignIn;
  links: ActionLinks;
  linkFlows: LinkFlows;
  lifecycle: Lifecycle;
  passkeys: Passkeys;
  recoveryCodes: RecoveryCodes;
  views: ReturnType<typeof createViews>;
  mailer: Mailer;
  mailSender: MailSender;
};
