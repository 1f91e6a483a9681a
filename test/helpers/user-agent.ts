// A small cookie-keeping HTTP user agent for tests: it follows redirects,
// keeps cookies per host and path, and fills in and submits HTML forms the
// way a browser without JavaScript would.
import { parse, type HTMLElement } from 'node-html-parser';

type Cookie = { name: string; value: string; host: string; path: string; expires: number | null };

export type Page = {
  url: string;
  status: number;
  headers: Headers;
  body: string;
  /** the redirect chain that led here, first request first */
  history: { url: string; status: number; location: string | null }[];
};

export type Form = { action: string; method: string; fields: Record<string, string> };

export class UserAgent {
  private cookies: Cookie[] = [];
  last: Page | null = null;

  cookieHeader(url: URL): string {
    const now = Date.now();
    this.cookies = this.cookies.filter((c) => c.expires === null || c.expires > now);
    return this.cookies
      .filter((c) => c.host === url.host && (url.pathname === c.path || url.pathname.startsWith(c.path.endsWith('/') ? c.path : `${c.path}/`) || c.path === '/'))
      .map((c) => `${c.name}=${c.value}`)
      .join('; ');
  }

  cookieNames(host: string): string[] {
    return this.cookies.filter((c) => c.host === host).map((c) => c.name);
  }

  clearCookies(host?: string): void {
    this.cookies = host ? this.cookies.filter((c) => c.host !== host) : [];
  }

  private storeCookies(url: URL, headers: Headers): void {
    for (const line of headers.getSetCookie()) {
      const [pair, ...attributes] = line.split(';').map((s) => s.trim());
      if (!pair) continue;
      const eq = pair.indexOf('=');
      const name = pair.slice(0, eq);
      const value = pair.slice(eq + 1);
      let path = '/';
      let expires: number | null = null;
      for (const attribute of attributes) {
        const [key = '', val = ''] = attribute.split('=');
        const k = key.toLowerCase();
        if (k === 'path') path = val;
        if (k === 'expires') expires = Date.parse(val);
        if (k === 'max-age') expires = Date.now() + Number(val) * 1000;
      }
      this.cookies = this.cookies.filter((c) => !(c.name === name && c.host === url.host && c.path === path));
      if (expires === null || expires > Date.now()) this.cookies.push({ name, value, host: url.host, path, expires });
    }
  }

  /** One request, no redirect following. */
  async request(url: string, init: { method?: string; body?: string | URLSearchParams; headers?: Record<string, string> } = {}): Promise<Response> {
    const target = new URL(url);
    const headers: Record<string, string> = { ...init.headers };
    const cookie = this.cookieHeader(target);
    if (cookie) headers.cookie = cookie;
    if (init.body instanceof URLSearchParams) headers['content-type'] = 'application/x-www-form-urlencoded';
    const response = await fetch(target, { method: init.method ?? 'GET', body: init.body, headers, redirect: 'manual' });
    this.storeCookies(target, response.headers);
    return response;
  }

  /** Request and follow redirects like a browser; stops at `stopAt` (a URL prefix) without requesting it. */
  async navigate(url: string, init: { method?: string; body?: string | URLSearchParams; headers?: Record<string, string> } = {}, stopAt?: string): Promise<Page> {
    const history: Page['history'] = [];
    let current = url;
    let request = init;
    for (let hops = 0; hops < 20; hops += 1) {
      const response = await this.request(current, request);
      const location = response.headers.get('location');
      if (response.status >= 300 && response.status < 400 && location) {
        await response.arrayBuffer();
        history.push({ url: current, status: response.status, location });
        current = new URL(location, current).href;
        request = {};
        if (stopAt && current.startsWith(stopAt)) {
          this.last = { url: current, status: 0, headers: new Headers(), body: '', history };
          return this.last;
        }
        continue;
      }
      this.last = { url: current, status: response.status, headers: response.headers, body: await response.text(), history };
      return this.last;
    }
    throw new Error(`too many redirects from ${url}`);
  }

  get(url: string, stopAt?: string): Promise<Page> {
    return this.navigate(url, {}, stopAt);
  }

  /** Submits a form of the last page (the first one, or the one matching `selector`), with `values` filled in. */
  submit(values: Record<string, string> = {}, options: { selector?: string; stopAt?: string; button?: string } = {}): Promise<Page> {
    if (!this.last) throw new Error('no page loaded');
    const form = readForm(this.last, options.selector, options.button);
    const body = new URLSearchParams({ ...form.fields, ...values });
    const method = form.method.toUpperCase();
    if (method === 'GET') return this.navigate(`${form.action}?${body}`, {}, options.stopAt);
    return this.navigate(form.action, { method, body }, options.stopAt);
  }
}

export function dom(page: Page): HTMLElement {
  return parse(page.body);
}

/** The visible text of the page with whitespace collapsed. */
export function text(page: Page): string {
  return dom(page).querySelector('body')?.textContent.replace(/\s+/g, ' ').trim() ?? '';
}

export function readForm(page: Page, selector = 'form', button?: string): Form {
  const form = dom(page).querySelector(selector);
  if (!form) throw new Error(`no form "${selector}" on ${page.url}:\n${page.body.slice(0, 2000)}`);
  const fields: Record<string, string> = {};
  for (const input of form.querySelectorAll('input, textarea, select')) {
    const name = input.getAttribute('name');
    const type = (input.getAttribute('type') ?? 'text').toLowerCase();
    if (!name || type === 'submit' || type === 'button') continue;
    if ((type === 'checkbox' || type === 'radio') && !input.hasAttribute('checked')) continue;
    if (input.tagName === 'SELECT') {
      const options = input.querySelectorAll('option');
      const chosen = options.find((option) => option.hasAttribute('selected')) ?? options[0];
      fields[name] = chosen ? (chosen.getAttribute('value') ?? chosen.textContent) : '';
      continue;
    }
    fields[name] = input.getAttribute('value') ?? (input.tagName === 'TEXTAREA' ? input.textContent : '') ?? '';
  }
  if (button) {
    const clicked = form.querySelectorAll('button, input[type=submit]').find((b) => b.getAttribute('name') === button || b.textContent.trim() === button);
    if (!clicked) throw new Error(`no button "${button}" in form "${selector}"`);
    const name = clicked.getAttribute('name');
    if (name) fields[name] = clicked.getAttribute('value') ?? '';
  }
  return {
    action: new URL(form.getAttribute('action') ?? page.url, page.url).href,
    method: form.getAttribute('method') ?? 'GET',
    fields,
  };
}

/** The text of the page's error summary ('' when there is none). */
export function errorSummary(page: Page): string {
  return dom(page).querySelector('.error-summary')?.textContent.replace(/\s+/g, ' ').trim() ?? '';
}
