import http from 'node:http';
import net from 'node:net';
/** A small HTTP client for the API tests: JSON in, status + headers + parsed body out. */
export interface Reply<T = any> {
  status: number;
  headers: Headers;
  body: T;
}

/** A problem+json answer with this status and stable code, and the fields every problem carries. */
export function expectProblem(reply: Reply, status: number, code: string): void {
  expect({ status: reply.status, code: reply.body?.code }).toEqual({ status, code });
  expect(reply.headers.get('content-type')).toContain('application/problem+json');
  expect(reply.body).toEqual(expect.objectContaining({ type: expect.any(String), title: expect.any(String), status, detail: expect.any(String) }));
}

const keys = new Map<string, string>();

/** How long a test waits for an answer before calling the request hung: a bound on the wait, not a speed expected of the service. */
const HANG_BOUND_MS = 30_000;

/** The key `call` sends to a service unless the request sets its own Authorization. */
export function useApiKey(base: string, key: string): void {
  keys.set(base, key);
}

export async function call<T = any>(
  base: string,
  method: string,
  path: string,
  options: { json?: unknown; raw?: string | Buffer; headers?: Record<string, string> } = {},
): Promise<Reply<T>> {
  const key = keys.get(base);
  const headers: Record<string, string> = { ...(key ? { authorization: `Bearer ${key}` } : {}), ...options.headers };
  let body: string | Buffer | undefined;
  if (options.json !== undefined) {
    body = JSON.stringify(options.json);
    headers['content-type'] ??= 'application/json';
  } else if (options.raw !== undefined) {
    body = options.raw;
  }
  const signal = AbortSignal.timeout(HANG_BOUND_MS);
  let response: Response;
  let text: string;
  try {
    response = await fetch(`${base}${path}`, { method, headers, body, signal });
    text = await response.text();
  } catch (error) {
    if (signal.aborted) throw new Error(`${method} ${path.slice(0, 200)}: no answer within ${HANG_BOUND_MS / 1000} s (hung)`, { cause: error });
    throw error;
  }
  let parsed: unknown = text;
  if (/^application\/(problem\+)?json/.test(response.headers.get('content-type') ?? '') && text) parsed = JSON.parse(text);
  return { status: response.status, headers: response.headers, body: parsed as T };
}

/** A request through node:http, for what fetch refuses to send (TRACE, CONNECT-like methods, raw bytes). */
export function rawRequest(
  base: string,
  method: string,
  path: string,
  options: { headers?: Record<string, string>; body?: Buffer | string } = {},
): Promise<{ status: number; headers: Record<string, string | string[] | undefined>; body: string }> {
  const url = new URL(path, base);
  return new Promise((resolve, reject) => {
    const request = http.request(url, { method, headers: options.headers, timeout: HANG_BOUND_MS }, (response) => {
      let body = '';
      response.setEncoding('utf8');
      response.on('data', (chunk) => (body += chunk));
      response.on('end', () => resolve({ status: response.statusCode!, headers: response.headers, body }));
    });
    request.on('timeout', () => request.destroy(new Error(`${method} ${path}: no answer within ${HANG_BOUND_MS / 1000} s (hung)`)));
    request.on('error', reject);
    request.end(options.body);
  });
}

/** Bytes written straight to the server's socket, for requests no HTTP client will send; the answer as text. */
export function rawExchange(base: string, request: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const url = new URL(base);
    const socket = net.connect(Number(url.port), url.hostname, () => socket.write(request));
    let answer = '';
    socket.on('data', (chunk) => (answer += chunk));
    socket.on('end', () => resolve(answer));
    socket.on('error', reject);
    socket.setTimeout(10_000, () => socket.destroy(new Error('no answer in 10 s')));
  });
}
