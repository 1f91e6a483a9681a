// A local HTTP server that answers like Postmark's POST /email
// (https://postmarkapp.com/developer/api/email-api), so the real postmark
// client can be tested against it. It records what it received and can be
// told to fail.
import { createServer, type IncomingMessage, type Server } from 'node:http';
import { randomUUID } from 'node:crypto';
import { listen } from '../../src/app.ts';

export type PostmarkEmail = { From: string; To: string; Subject: string; TextBody: string; HtmlBody: string; MessageStream: string; [field: string]: unknown };
export type ReceivedEmail = { token: string | undefined; body: PostmarkEmail; messageId: string | null };

/** How the stand-in answers: accept, or fail the way Postmark does. */
export type StandInMode = 'ok' | 'unavailable' | 'server_error' | 'invalid_email' | 'inactive_recipient' | 'rate_limited';

const failures: Record<Exclude<StandInMode, 'ok'>, { status: number; body: { ErrorCode: number; Message: string } }> = {
  unavailable: { status: 503, body: { ErrorCode: 0, Message: 'Service unavailable' } },
  server_error: { status: 500, body: { ErrorCode: 0, Message: 'Internal server error' } },
  invalid_email: { status: 422, body: { ErrorCode: 300, Message: 'Invalid email request' } },
  inactive_recipient: { status: 422, body: { ErrorCode: 406, Message: 'You tried to send to recipient(s) that have been marked as inactive.' } },
  rate_limited: { status: 429, body: { ErrorCode: 429, Message: 'Rate limit exceeded' } },
};

export type PostmarkStandIn = {
  url: string;
  token: string;
  mode: StandInMode;
  /** milliseconds to wait before answering */
  delayMs: number;
  /** every request that reached POST /email, accepted or not */
  requests: ReceivedEmail[];
  /** the messages accepted */
  accepted(): ReceivedEmail[];
  /** forgets what it received and answers normally again */
  reset(): void;
  close(): Promise<void>;
};

async function readJson(request: IncomingMessage): Promise<unknown> {
  const chunks: Buffer[] = [];
  for await (const chunk of request) chunks.push(chunk as Buffer);
  return JSON.parse(Buffer.concat(chunks).toString('utf8'));
}

export async function startPostmarkStandIn(options: { token?: string } = {}): Promise<PostmarkStandIn> {
  const server: Server = createServer();
  const standIn: PostmarkStandIn = {
    url: '',
    token: options.token ?? 'test-token',
    mode: 'ok',
    delayMs: 0,
    requests: [],
    accepted: () => standIn.requests.filter((r) => r.messageId !== null),
    reset: () => {
      standIn.requests = [];
      standIn.mode = 'ok';
      standIn.delayMs = 0;
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
  server.on('request', (request, response) => {
    const answer = (status: number, body: unknown) => {
      response.writeHead(status, { 'Content-Type': 'application/json' });
      response.end(JSON.stringify(body));
    };
    void (async () => {
      if (request.method !== 'POST' || request.url !== '/email') return answer(404, { ErrorCode: 0, Message: 'Not found' });
      if (request.headers['content-type'] !== 'application/json' || request.headers.accept !== 'application/json') {
        return answer(415, { ErrorCode: 409, Message: 'JSON required' });
      }
      const token = request.headers['x-postmark-server-token'] as string | undefined;
      const body = (await readJson(request)) as PostmarkEmail;
      if (standIn.delayMs) await new Promise((resolve) => setTimeout(resolve, standIn.delayMs));
      const received: ReceivedEmail = { token, body, messageId: null };
      standIn.requests.push(received);
      if (token !== standIn.token) return answer(401, { ErrorCode: 10, Message: 'Bad or missing Server API token.' });
      if (standIn.mode !== 'ok') return answer(failures[standIn.mode].status, failures[standIn.mode].body);
      received.messageId = randomUUID();
      return answer(200, { To: body.To, SubmittedAt: new Date().toISOString(), MessageID: received.messageId, ErrorCode: 0, Message: 'OK' });
    })().catch((error: Error) => answer(400, { ErrorCode: 402, Message: `Invalid JSON: ${error.message}` }));
  });
  const port = await listen(server, 0, '127.0.0.1');
  standIn.url = `http://127.0.0.1:${port}`;
  return standIn;
}
