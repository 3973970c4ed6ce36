import { PassThrough } from 'node:stream';
import * as z from 'zod';
import type { ClickHouse } from '../clickhouse/client';
import { timeQueriesDirectly, QueryPlan } from '../bench/direct';
import { generateOrders } from '../bench/generate';
import { benchmarkIngestion } from '../bench/ingest';
import type { Logger } from '../logger';
import { temporalLogger } from '../temporal/runtimeLogger';
import { routeFor } from './route';

export interface BenchRouteDeps {
  ch: ClickHouse;
  log: Logger;
  /** The worker's activity slots: how many deliveries the ingestion benchmark runs at once. */
  deliverySlots: number;
}

const route = routeFor<BenchRouteDeps>();

/** A whole number in a range. */
const integerIn = (min: number, max: number) => z.int(`must be an integer from ${min} to ${max}`).min(min).max(max);

/**
 * Routes for `npm run bench`, on only with ENABLE_BENCH_ROUTES=1: they load synthetic data and
 * time work inside the process that holds the (embedded) database.
 */
export const generate = route({
  method: 'post',
  path: '/admin/bench/generate',
  operationId: 'benchGenerate',
  summary: 'Load synthetic orders (npm run bench)',
  access: 'admin',
  body: z.strictObject({ orders: integerIn(1, 100_000_000), year: integerIn(1971, 2200).default(2025) }),
  answers: { 200: { description: 'NDJSON progress', mediaType: 'application/x-ndjson' } },
  refusals: [],
  handler:
    ({ ch }) =>
    (ctx, { body: { orders, year } }) => {
      const stream = new PassThrough();
      ctx.type = 'application/x-ndjson';
      ctx.body = stream;
      const write = (line: object) => stream.write(`${JSON.stringify(line)}\n`);
      (async () => {
        const done = await generateOrders(ch, { orders, year }, (progress) => write({ progress }));
        // Settle the tables the way a long-running service's background merges would.
        const merging = Date.now();
        for (const table of ['order_events', 'orders_by_id', 'orders_by_customer', 'orders_by_created']) {
          await ch.client.command({ query: `OPTIMIZE TABLE ${ch.database}.${table} FINAL` });
          write({ merged: table, millis: Date.now() - merging });
        }
        write({ done });
      })()
        .catch((error: unknown) => write({ error: error instanceof Error ? error.message : String(error) }))
        .finally(() => stream.end());
    },
});

export const ingest = route({
  method: 'post',
  path: '/admin/bench/ingest',
  operationId: 'benchIngest',
  summary: 'Time the event log under ingestion (npm run bench)',
  access: 'admin',
  body: z
    .strictObject({
      orders: integerIn(1, 200_000).default(2000),
      concurrency: integerIn(1, 10_000).optional(),
      singleRowSample: integerIn(1, 20_000).default(500),
      rounds: integerIn(1, 9).default(3),
    })
    .default({ orders: 2000, singleRowSample: 500, rounds: 3 }),
  answers: { 200: { description: 'The timings' } },
  refusals: [],
  handler:
    ({ ch, log, deliverySlots }) =>
    async (ctx, { body }) => {
      ctx.body = await benchmarkIngestion(ch, {
        ...body,
        concurrency: body.concurrency ?? deliverySlots,
        // Activities log as the worker's do: through the service's logger, at its level.
        logger: temporalLogger(log),
        logsInfo: log.isLevelEnabled('info'),
      });
    },
});

export const direct = route({
  method: 'post',
  path: '/admin/bench/direct',
  operationId: 'benchDirect',
  summary: 'Time the read-model queries without HTTP (npm run bench)',
  access: 'admin',
  body: z.record(z.string(), z.unknown()).default({}),
  answers: { 200: { description: 'The timings' } },
  refusals: [],
  handler:
    ({ ch }) =>
    async (ctx, { body }) => {
      ctx.body = await timeQueriesDirectly(ch, body as Partial<QueryPlan>);
    },
});

export const BENCH_ROUTES = [generate, ingest, direct];
