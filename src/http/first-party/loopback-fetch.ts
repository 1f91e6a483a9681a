// A first-party page is a client of the provider it runs in. Its back-channel
// requests (discovery, JWKS, token) are addressed to ISSUER, which from
// inside the process may be unreachable: a public name that resolves to the
// load balancer in front of us (no hairpin NAT), or a TLS proxy the host
// cannot pass. So requests for the ISSUER origin go to this process's own
// listener instead, carrying the public Host and protocol as the proxy would
// send them; any other URL is fetched normally.
import { request } from 'node:http';
import type { CustomFetch } from 'openid-client';

export function issuerLoopbackFetch(issuer: string, port: number): CustomFetch {
  const publicUrl = new URL(issuer);
  return async (url, options) => {
    const target = new URL(url);
    if (target.origin !== publicUrl.origin) return fetch(url, options as RequestInit);
    const headers: Record<string, string> = { ...options.headers, host: publicUrl.host };
    if (publicUrl.protocol === 'https:') headers['x-forwarded-proto'] = 'https';
    return loopbackRequest(port, `${target.pathname}${target.search}`, options.method, headers, bodyBytes(options.body), options.signal);
  };
}

function bodyBytes(body: unknown): Buffer | undefined {
  if (body === undefined || body === null) return undefined;
  if (typeof body === 'string' || body instanceof URLSearchParams) return Buffer.from(String(body));
  if (body instanceof Uint8Array) return Buffer.from(body);
  if (body instanceof ArrayBuffer) return Buffer.from(new Uint8Array(body));
  throw new TypeError('unsupported request body for the provider loopback');
}

function loopbackRequest(port: number, path: string, method: string, headers: Record<string, string>, body: Buffer | undefined, signal: AbortSignal | undefined): Promise<Response> {
  return new Promise((resolve, reject) => {
    if (body) headers['content-length'] = String(body.length);
    const outgoing = request({ host: '127.0.0.1', port, path, method, headers, signal }, (incoming) => {
      const chunks: Buffer[] = [];
      incoming.on('data', (chunk: Buffer) => chunks.push(chunk));
      incoming.on('error', reject);
      incoming.on('end', () => {
        const responseHeaders = new Headers();
        for (const [name, value] of Object.entries(incoming.headers)) {
          for (const item of Array.isArray(value) ? value : value === undefined ? [] : [value]) responseHeaders.append(name, item);
        }
        const status = incoming.statusCode ?? 502;
        const noBody = method === 'HEAD' || status === 204 || status === 205 || status === 304;
        resolve(new Response(noBody ? null : Buffer.concat(chunks), { status, statusText: incoming.statusMessage, headers: responseHeaders }));
      });
    });
    outgoing.on('error', reject);
    outgoing.end(body);
  });
}
