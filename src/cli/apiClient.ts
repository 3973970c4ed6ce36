/** The few HTTP calls the command-line tools make to a running service. */
import path from 'node:path';
import { findApiKey } from '../apiKeyFile';

export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string | undefined,
    message: string,
  ) {
    super(message);
    this.name = 'ApiError';
  }
}

/** Where a running service is and the key to show it. */
export interface ApiTarget {
  base: string;
  key?: string;
}

/** ORDERS_API_URL (else localhost:PORT) and ORDERS_API_KEY (else the key in the data directory). */
export function apiTarget(env: Record<string, string | undefined>): ApiTarget {
  const base = (env.ORDERS_API_URL ?? `http://localhost:${env.PORT ?? 3000}`).replace(/\/$/, '');
  return { base, key: findApiKey(env, path.resolve(env.DATA_DIR ?? '.data')) };
}

export function authorization(target: ApiTarget): Record<string, string> {
  return target.key ? { authorization: `Bearer ${target.key}` } : {};
}

export async function request<T>(target: ApiTarget, method: string, route: string, body?: unknown): Promise<{ status: number; body: T }> {
  const headers = authorization(target);
  const response = await fetch(`${target.base}${route}`, {
    method,
    headers: body === undefined ? headers : { 'content-type': 'application/json', ...headers },
    body: body === undefined ? undefined : JSON.stringify(body),
    signal: AbortSignal.timeout(30_000),
  });
  const text = await response.text();
  const parsed = text ? (JSON.parse(text) as unknown) : undefined;
  if (!response.ok && response.status !== 404) {
    const problem = parsed as { code?: string; detail?: string } | undefined;
    throw new ApiError(response.status, problem?.code, `${method} ${route}: ${response.status} ${problem?.code ?? ''} ${problem?.detail ?? text}`.trim());
  }
  return { status: response.status, body: parsed as T };
}

/** The lines of an NDJSON response (progress streams of the admin routes), parsed as they arrive. */
export async function* ndjsonLines(response: Response): AsyncGenerator<Record<string, unknown>> {
  if (!response.body) return;
  let buffered = '';
  for await (const chunk of response.body) {
    buffered += Buffer.from(chunk).toString('utf8');
    let newline;
    while ((newline = buffered.indexOf('\n')) >= 0) {
      const line = buffered.slice(0, newline);
      buffered = buffered.slice(newline + 1);
      if (line.trim()) yield JSON.parse(line) as Record<string, unknown>;
    }
  }
}
