// Everything that can go wrong in a request is one of these classes; the error
// boundary in app.ts turns them into an HTML page. Anything else is a bug and
// becomes a generic 500 page, never a stack trace.
import type { MessageKey } from './i18n.ts';

const SIGN_IN = '/login';

export class PortalError extends Error {
  readonly status: number;
  readonly titleKey: MessageKey;
  readonly bodyKey: MessageKey;
  /** where the page's "Try signing in again" link goes, if it has one */
  readonly signInHref: string | undefined;
  /** extra values for the body message */
  readonly params: Record<string, string>;

  constructor(
    status: number,
    keys: { title: MessageKey; body: MessageKey },
    options: { signInHref?: string; params?: Record<string, string>; cause?: unknown; message?: string } = {},
  ) {
    super(options.message ?? keys.body, { cause: options.cause });
    this.status = status;
    this.titleKey = keys.title;
    this.bodyKey = keys.body;
    this.signInHref = options.signInHref;
    this.params = options.params ?? {};
  }
}

/** The ID token's acr is not `mfa`: the user did not sign in with two factors. */
export class InsufficientAssurance extends PortalError {
  constructor(acr: unknown) {
    super(
      403,
      { title: 'error.assurance.title', body: 'error.assurance.body' },
      // Trying again must not silently reuse the provider's weaker session.
      { signInHref: `${SIGN_IN}?prompt=login`, message: `ID token acr ${JSON.stringify(acr)} is not "mfa"` },
    );
    this.name = 'InsufficientAssurance';
  }
}

/** The user came back to /callback without a (valid) login transaction cookie. */
export class LoginTransactionMissing extends PortalError {
  constructor() {
    super(
      400,
      { title: 'error.transaction.title', body: 'error.transaction.body' },
      { signInHref: SIGN_IN, message: 'no valid login transaction cookie' },
    );
    this.name = 'LoginTransactionMissing';
  }
}

/** The user cancelled at the provider (`error=access_denied`). */
export class SignInCancelled extends PortalError {
  constructor() {
    super(400, { title: 'error.cancelled.title', body: 'error.cancelled.body' }, { signInHref: SIGN_IN, message: 'access_denied' });
    this.name = 'SignInCancelled';
  }
}

/** The provider answered with an error, or the response failed its checks (state, PKCE, nonce, signature). */
export class SignInFailed extends PortalError {
  constructor(cause: unknown, providerError?: string) {
    // The error code comes from the query string, so only a well-formed code
    // is shown: a crafted link must not be able to put text on our page.
    const code = providerError && /^[a-z_]{1,64}$/.test(providerError) ? providerError : undefined;
    super(
      400,
      { title: 'error.signInFailed.title', body: code ? 'error.signInFailed.providerBody' : 'error.signInFailed.body' },
      { signInHref: SIGN_IN, params: code ? { code } : {}, cause, message: errorMessage(cause) },
    );
    this.name = 'SignInFailed';
  }
}

/** The provider cannot be reached (discovery, token or userinfo endpoint down). */
export class ProviderUnavailable extends PortalError {
  constructor(cause: unknown) {
    super(
      503,
      { title: 'error.unavailable.title', body: 'error.unavailable.body' },
      { signInHref: SIGN_IN, cause, message: errorMessage(cause) },
    );
    this.name = 'ProviderUnavailable';
  }
}

/** A state-changing POST without the session's CSRF token. */
export class RequestNotVerified extends PortalError {
  constructor() {
    super(403, { title: 'error.csrf.title', body: 'error.csrf.body' }, { message: 'missing or wrong CSRF token' });
    this.name = 'RequestNotVerified';
  }
}

export class PageNotFound extends PortalError {
  constructor() {
    super(404, { title: 'error.notFound.title', body: 'error.notFound.body' }, { message: 'no such page' });
    this.name = 'PageNotFound';
  }
}

function errorMessage(error: unknown): string {
  if (!(error instanceof Error)) return String(error);
  return error.cause instanceof Error ? `${error.message}: ${error.cause.message}` : error.message;
}
