// Real Chromium (Debian's /usr/bin/chromium) driven by playwright-core, with
// a fresh profile, a screenshot of every page and an axe-core check on each.
import { mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { chromium, type BrowserContext, type Page } from 'playwright-core';
import { startAuthorization, type RelyingParty } from './flows.ts';

const require = createRequire(import.meta.url);
const axeSource = readFileSync(require.resolve('axe-core/axe.min.js'), 'utf8');
export const screenshotDir = path.resolve('test-output/screenshots');

export const chromiumPath = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

export type Browser = { context: BrowserContext; page: Page; close(): Promise<void> };

export async function launchBrowser(): Promise<Browser> {
  const userDataDir = mkdtempSync(path.join(tmpdir(), 'govlink-chromium-'));
  const context = await chromium.launchPersistentContext(userDataDir, {
    executablePath: chromiumPath,
    headless: true,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run', '--disable-quic'],
    // axe is injected through the DevTools protocol; our pages' CSP forbids inline scripts.
    bypassCSP: true,
  });
  const page = context.pages()[0] ?? (await context.newPage());
  return {
    context,
    page,
    async close() {
      await context.close();
      rmSync(userDataDir, { recursive: true, force: true });
    },
  };
}

export type AxeViolation = { id: string; impact: string | null; help: string; nodes: { target: string[] }[] };

/** Saves a screenshot as test-output/screenshots/<name>.png and returns axe's serious and critical violations. */
export async function inspectPage(page: Page, name: string): Promise<AxeViolation[]> {
  mkdirSync(screenshotDir, { recursive: true });
  await page.screenshot({ path: path.join(screenshotDir, `${name}.png`), fullPage: true });
  await page.evaluate(axeSource);
  const violations = (await page.evaluate(async () => {
    const result = await (globalThis as unknown as { axe: { run(context: unknown, options: unknown): Promise<{ violations: AxeViolation[] }> } }).axe.run(document, {
      runOnly: { type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'best-practice'] },
    });
    return result.violations.map((v) => ({ id: v.id, impact: v.impact, help: v.help, nodes: v.nodes.map((n) => ({ target: n.target })) }));
  })) as AxeViolation[];
  return violations.filter((v) => v.impact === 'serious' || v.impact === 'critical');
}

/**
 * Starts an authorization for `rp` in the browser. The relying party's
 * callback (on 127.0.0.1:9, where nothing listens) is answered here, and
 * `reached` resolves with the URL the provider sent the browser back to.
 */
export async function authorizeInBrowser(page: Page, rp: RelyingParty, parameters: Record<string, string> = {}) {
  const authorization = await startAuthorization(rp, parameters);
  let callback: (url: string) => void;
  const reached = new Promise<string>((resolve) => (callback = resolve));
  await page.unroute('http://127.0.0.1:9/**');
  await page.route('http://127.0.0.1:9/**', async (route) => {
    callback(route.request().url());
    await route.fulfill({ status: 200, contentType: 'text/plain', body: 'back at the client' });
  });
  await page.goto(authorization.url.href);
  return { authorization, reached };
}
