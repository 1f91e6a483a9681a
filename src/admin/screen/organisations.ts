// Super admins: the organisations, and a form to create one.
import type { Context } from 'koa';
import type { Services } from '../../services.ts';
import { DirectoryError } from '../../accounts/directory.ts';
import { readProtectedForm } from '../../http/csrf.ts';
import { requestOrigin } from '../../http/origin.ts';
import { listOrganisations } from '../../queries/organisations.ts';
import { renderPage, type FieldError } from './pages.ts';
import { actorOf, noticeParam } from './users.ts';

async function renderOrganisations(services: Services, ctx: Context, options: { name?: string; errors?: FieldError[]; notice?: string } = {}) {
  renderPage(ctx, 'admin/organisations.njk', {
    section: 'organisations',
    organisations: await listOrganisations(services.db),
    name: options.name ?? '',
    errors: options.errors ?? [],
    notice: options.notice,
  });
}

/** GET /admin/organisations */
export function listOrganisationsPage(services: Services) {
  return async function listOrganisationsPage(ctx: Context) {
    await renderOrganisations(services, ctx, { notice: noticeParam.parse(ctx.query.done) });
  };
}

/** POST /admin/organisations: creates one (audited as organisation.created). */
export function createOrganisationPage(services: Services) {
  return async function createOrganisationPage(ctx: Context) {
    const { t } = ctx.state;
    const name = ((await readProtectedForm(ctx)).name ?? '').trim();
    if (!name) {
      ctx.status = 400;
      return renderOrganisations(services, ctx, { name, errors: [{ field: 'name', message: t('admin.organisations.name_missing') }] });
    }
    try {
      await services.lifecycle.createOrganisation(actorOf(ctx), requestOrigin(ctx), name);
    } catch (error) {
      if (!(error instanceof DirectoryError)) throw error;
      ctx.status = error.code === 'duplicate' ? 409 : 400;
      const message = t(error.code === 'duplicate' ? 'admin.directory.duplicate_organisation' : 'admin.organisations.name_invalid');
      return renderOrganisations(services, ctx, { name, errors: [{ field: 'name', message }] });
    }
    ctx.status = 303;
    ctx.redirect('/admin/organisations?done=organisation_created');
  };
}
