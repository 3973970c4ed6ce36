/**
 * ClickHouse's HTTP interface, the part `@clickhouse/client` speaks, served from chDB in this
 * process. No ClickHouse server can be installed on this machine, yet the scaled-out mode needs
 * one ClickHouse shared by separate API and worker processes; this lets tests run that mode
 * against the real engine (chDB is ClickHouse), with only the transport written here.
 *
 * What it honours: `query` in the URL and/or the body (an insert's rows follow its statement),
 * `param_*` values (bound as the server binds them, from their text form), settings as URL
 * parameters, `default_format`, HTTP basic credentials, `/ping`, and errors as ClickHouse sends
 * them (`Code: N. DB::Exception: …` with `X-ClickHouse-Exception-Code`). It binds to 127.0.0.1.
 */
import http from 'node:http';
import { randomUUID } from 'node:crypto';
import type { AddressInfo } from 'node:net';

// eslint-disable-next-line @typescript-eslint/no-require-imports
const chdb = require('chdb') as typeof import('chdb');

/** URL parameters that are not settings. */
const NOT_SETTINGS = new Set(['query', 'query_id', 'database', 'session_id', 'role', 'default_format', 'user', 'password']);
/** Settings of the HTTP layer itself, which the embedded engine does not know. */
const HTTP_ONLY = new Set([
  'wait_end_of_query',
  'send_progress_in_http_headers',
  'enable_http_compression',
  'http_headers_progress_interval_ms',
  'http_response_buffer_size',
]);

export interface ClickHouseHttp {
  url: string;
  user: string;
  password: string;
  close(): Promise<void>;
}

/** A ClickHouse string literal: the text is read back exactly, escapes included. */
function literal(text: string): string {
  return `'${text.replace(/\\/g, '\\\\').replace(/'/g, "\\'")}'`;
}

export async function serveClickHouseOverHttp(
  dir: string,
  credentials: { user: string; password: string } = { user: 'orders', password: randomUUID() },
  port = 0,
): Promise<ClickHouseHttp> {
  // One session per distinct set of settings: a SET stays on its session, so a request asking for
  // `readonly=1` must never share a session with one that inserts.
  const sessions = new Map<string, Promise<import('chdb').Session>>();
  // chDB holds one data directory per process: every session must be closed before another test
  // file in this jest worker opens its own, so close() waits for requests still being handled, and
  // two requests asking for the same new settings at once share one session.
  let closed = false;
  const inFlight = new Set<Promise<unknown>>();
  const opened: import('chdb').Session[] = [];
  const sessionFor = (settings: Array<[string, string]>) => {
    if (closed) return Promise.reject(new Error('the server is shutting down'));
    const key = JSON.stringify(settings);
    let session = sessions.get(key);
    if (!session) {
      const created = new chdb.Session(dir);
      opened.push(created);
      session = (async () => {
        if (settings.length > 0) await created.queryAsync(settings.map(([name, value]) => `SET ${name} = ${literal(value)}`).join('; '));
        return created;
      })();
      sessions.set(key, session);
    }
    return session;
  };
  // Parameters are set per session too; chDB's own binder serializes parameterized queries across
  // sessions for the same reason, and so does this.
  let parameterized: Promise<unknown> = Promise.resolve();

  const expected = `Basic ${Buffer.from(`${credentials.user}:${credentials.password}`).toString('base64')}`;

  const server = http.createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      const handling = handle(request, Buffer.concat(chunks).toString('utf8'));
      inFlight.add(handling);
      void handling
        .finally(() => inFlight.delete(handling))
        .then(({ status, body, headers }) => {
          response.writeHead(status, headers);
          response.end(body);
        })
        .catch((error: unknown) => {
          const message = error instanceof Error ? error.message : String(error);
          const code = /Code: (\d+)/.exec(message)?.[1] ?? '1002';
          response.writeHead(500, { 'content-type': 'text/plain; charset=UTF-8', 'x-clickhouse-exception-code': code });
          response.end(/^Code: \d+/.test(message) ? message : `Code: ${code}. DB::Exception: ${message}`);
        });
    });
  });

  async function handle(request: http.IncomingMessage, body: string): Promise<{ status: number; body: string | Uint8Array; headers: Record<string, string> }> {
    const url = new URL(request.url ?? '/', 'http://localhost');
    if (url.pathname === '/ping') return { status: 200, body: 'Ok.\n', headers: { 'content-type': 'text/plain' } };
    if (request.headers.authorization !== expected) {
      return {
        status: 401,
        body: `Code: 516. DB::Exception: ${credentials.user}: Authentication failed: password is incorrect, or there is no user with such name. (AUTHENTICATION_FAILED)`,
        headers: { 'content-type': 'text/plain', 'x-clickhouse-exception-code': '516' },
      };
    }
    const fromUrl = url.searchParams.get('query');
    const sql = fromUrl ? (body ? `${fromUrl}\n${body}` : fromUrl) : body;
    const params: string[] = [];
    const settings: Array<[string, string]> = [];
    for (const [name, value] of url.searchParams) {
      if (name.startsWith('param_')) params.push(`SET ${name} = ${literal(value)}`);
      else if (!NOT_SETTINGS.has(name) && !HTTP_ONLY.has(name)) settings.push([name, value]);
    }
    // readonly last: once a session is read-only it may not change any other setting.
    settings.sort(([a], [b]) => (a === 'readonly' ? 1 : b === 'readonly' ? -1 : a.localeCompare(b)));
    const format = url.searchParams.get('default_format') ?? 'TabSeparated';
    const session = await sessionFor(settings);
    const run = () => session.queryAsync(params.length > 0 ? `${params.join('; ')}; ${sql}` : sql, { format });
    let result;
    if (params.length > 0) {
      const turn = parameterized.then(run, run);
      parameterized = turn.catch(() => undefined);
      result = await turn;
    } else {
      result = await run();
    }
    const summary = {
      read_rows: String(result.rowsRead ?? 0),
      read_bytes: String(result.bytesRead ?? 0),
      written_rows: '0',
      written_bytes: '0',
      total_rows_to_read: '0',
      elapsed_ns: '0',
    };
    return {
      status: 200,
      body: result.bytes(),
      headers: {
        'content-type': 'text/plain; charset=UTF-8',
        'x-clickhouse-query-id': url.searchParams.get('query_id') ?? randomUUID(),
        'x-clickhouse-summary': JSON.stringify(summary),
      },
    };
  }

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', () => resolve());
  });
  const bound = (server.address() as AddressInfo).port;
  return {
    url: `http://127.0.0.1:${bound}`,
    ...credentials,
    async close() {
      closed = true;
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
      await Promise.allSettled([...inFlight]);
      for (const session of opened) session.close();
      await chdb.drainPending?.();
    },
  };
}
