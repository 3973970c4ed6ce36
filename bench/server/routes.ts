/**
 * The benchmark's own HTTP server, beside the service in its process (bench/service.ts): data
 * generation, the ingestion variants and the in-process query timings must run where the embedded
 * database is open. It listens on 127.0.0.1 only and is never part of the service.
 */
import http from 'node:http';
import type { ClickHouse } from '../../src/clickhouse/client';
import { PROJECTIONS } from '../../src/clickhouse/migrations';
import type { Logger } from '../../src/logger';
import { QueryPlan, timeQueriesDirectly } from './direct';
import { generateOrders } from './generate';
import { benchmarkIngestion } from './ingest';

export interface BenchServerOptions {
  ch: ClickHouse;
  log: Logger;
  /** The worker's activity slots: how many deliveries the ingestion benchmark runs at once. */
  deliverySlots: number;
}

class BadRequest extends Error {}

/** A whole number in a range from a request's body, or its default when absent (none: required). */
function integerIn(body: Record<string, unknown>, field: string, fallback: number | undefined, min: number, max: number): number {
  const value = body[field] ?? fallback;
  if (value === undefined) throw new BadRequest(`${field}: is required`);
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max)
    throw new BadRequest(`${field}: must be an integer from ${min} to ${max}`);
  return value;
}

async function jsonBody(request: http.IncomingMessage): Promise<Record<string, unknown>> {
  const chunks: Buffer[] = [];
  for await (const chunk of request) chunks.push(chunk as Buffer);
  const text = Buffer.concat(chunks).toString('utf8');
  try {
    const body: unknown = text ? JSON.parse(text) : {};
    if (typeof body !== 'object' || body === null || Array.isArray(body)) throw new Error();
    return body as Record<string, unknown>;
  } catch {
    throw new BadRequest('the body must be a JSON object');
  }
}

/** POST /generate: NDJSON progress lines, the merges, then `{done}` (or `{error}`). */
async function generate({ ch }: BenchServerOptions, body: Record<string, unknown>, response: http.ServerResponse): Promise<void> {
  const orders = integerIn(body, 'orders', undefined, 1, 100_000_000);
  const year = integerIn(body, 'year', 2025, 1971, 2200);
  response.writeHead(200, { 'content-type': 'application/x-ndjson' });
  const write = (line: object) => response.write(`${JSON.stringify(line)}\n`);
  try {
    const done = await generateOrders(ch, { orders, year }, (progress) => write({ progress }));
    // Settle the tables the way a long-running service's background merges would.
    const merging = Date.now();
    for (const table of ['order_events', ...PROJECTIONS.map((projection) => projection.table)]) {
      await ch.client.command({ query: `OPTIMIZE TABLE ${ch.database}.${table} FINAL` });
      write({ merged: table, millis: Date.now() - merging });
    }
    write({ done });
  } catch (error) {
    write({ error: error instanceof Error ? error.message : String(error) });
  }
  response.end();
}

async function ingest({ ch, log, deliverySlots }: BenchServerOptions, body: Record<string, unknown>): Promise<unknown> {
  return benchmarkIngestion(ch, {
    orders: integerIn(body, 'orders', 2000, 1, 200_000),
    concurrency: integerIn(body, 'concurrency', deliverySlots, 1, 10_000),
    singleRowSample: integerIn(body, 'singleRowSample', 500, 1, 20_000),
    rounds: integerIn(body, 'rounds', 3, 1, 9),
    log,
  });
}

async function handle(options: BenchServerOptions, request: http.IncomingMessage, response: http.ServerResponse): Promise<void> {
  const answer = (status: number, body: unknown): void => {
    response.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(body));
  };
  try {
    if (request.method !== 'POST') return answer(405, { error: 'POST only' });
    const body = await jsonBody(request);
    if (request.url === '/generate') return await generate(options, body, response);
    if (request.url === '/ingest') return answer(200, await ingest(options, body));
    if (request.url === '/direct') return answer(200, await timeQueriesDirectly(options.ch, body as Partial<QueryPlan>));
    return answer(404, { error: `no route ${request.url}` });
  } catch (error) {
    if (error instanceof BadRequest) return answer(400, { error: error.message });
    options.log.error({ err: error }, 'bench request failed');
    if (!response.headersSent) answer(500, { error: error instanceof Error ? error.message : String(error) });
    else response.end();
  }
}

/** Starts the server on `port` (0: any); resolves with its port and how to stop it. */
export function serveBench(options: BenchServerOptions, port: number): Promise<{ port: number; stop(): Promise<void> }> {
  const server = http.createServer((request, response) => void handle(options, request, response));
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', () => {
      const address = server.address();
      resolve({
        port: typeof address === 'object' && address ? address.port : port,
        stop: () => new Promise<void>((done) => server.close(() => done())),
      });
    });
  });
}
