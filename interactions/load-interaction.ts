// Loads the oidc-provider interaction this request belongs to. A missing or
// expired interaction (or one whose cookie belongs to another uid) gets the
// friendly "start again" page.
import type { Context, Next } from 'koa';
import type { Interaction } from 'oidc-provider';
import type { Services } from '../src/services.ts';

declare module 'koa' {
  interface DefaultState {
    interaction: Interaction;
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
