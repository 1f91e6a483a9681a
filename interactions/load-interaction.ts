// Loads the oidc-provider interaction this request belongs to. A missing or
// expired interaction (or one whose cookie belongs to another uid) gets the
// friendly "start again" page.
import type { Context, Next } from 'koa';
import type { Interaction } from 'oidc-provider';
import type { Services } from '../src/services.ts';
import type { PendingSignIn } from '../src/accounts/sign-in.ts';

declare module 'koa' {
  interface DefaultState {
    interaction: Interaction;
    /** the sign-in past its password step, if this interaction has one (login prompt only) */
    pendingLogin: PendingSignIn | undefined;
  }
}

export function loadInteraction({ provider }: Services) {
  return async function loadInteraction(ctx: Context, next: Next) {
    let interaction: Interaction;
    try {
      interaction = await provider.interactionDetails(ctx.req, ctx.res);
    } catch (error) {
      if ((error as { name?: string }).name !== 'SessionNotFound') throw error;
      return renderExpired(ctx);
    }
    if (interaction.uid !== ctx.params.uid) return renderExpired(ctx);
    ctx.state.interaction = interaction;
    await next();
  };
}

/** Reads the half-finished sign-in once per request: the step and the page shown after it use the same one. */
export function loadPendingLogin({ signIn }: Services) {
  return async function loadPendingLogin(ctx: Context, next: Next) {
    const { interaction } = ctx.state;
    ctx.state.pendingLogin = interaction.prompt.name === 'login' ? await signIn.pending(interaction.uid) : undefined;
    await next();
  };
}

export function renderExpired(ctx: Context) {
  ctx.status = 400;
  ctx.state.render(ctx, 'interactions/expired.njk');
}

export function requirePrompt(name: 'login' | 'consent') {
  return async function requirePrompt(ctx: Context, next: Next) {
    if (ctx.state.interaction.prompt.name !== name) return ctx.redirect(`/interaction/${ctx.state.interaction.uid}`);
    await next();
  };
}
