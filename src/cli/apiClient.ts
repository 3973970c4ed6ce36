/** The few HTTP calls the command-line tools make to a running service. */
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

export function apiBaseUrl(env: Record<string, string | undefined>): string {
  return (env.ORDERS_API_URL ?? `http://localhost:${env.PORT ?? 3000}`).replace(/\/$/, '');
}

export async function request<T>(base: string, method: string, path: string, body?: unknown, headers: Record<string, string> = {}): Promise<{ status: number; body: T }> {
  const response = await fetch(`${base}${path}`, {
    method,
    headers: body === undefined ? headers : { 'content-type': 'application/json', ...headers },
    body: body === undefined ? undefined : JSON.stringify(body),
    signal: AbortSignal.timeout(30_000),
  });
  const text = await response.text();
  const parsed = text ? (JSON.parse(text) as unknown) : undefined;
  if (!response.ok && response.status !== 404) {
    const problem = parsed as { code?: string; detail?: string } | undefined;
    throw new ApiError(response.status, problem?.code, `${method} ${path}: ${response.status} ${problem?.code ?? ''} ${problem?.detail ?? text}`.trim());
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
