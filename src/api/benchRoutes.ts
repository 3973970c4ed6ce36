import { PassThrough } from 'node:stream';
import Router from '@koa/router';
import type { ClickHouse } from '../clickhouse/client';
import { timeQueriesDirectly, QueryPlan } from '../bench/direct';
import { generateOrders } from '../bench/generate';
import { benchmarkIngestion } from '../bench/ingest';
import { validationFailed } from '../domain/errors';
import type { Logger } from '../logger';
import { temporalLogger } from '../temporal/runtimeLogger';
import { readJsonBody } from './body';

/** A whole number in a range from a bench request's body, or its default when absent (none: required). */
function integerIn(body: Record<string, unknown> | undefined, field: string, fallback: number | undefined, min: number, max: number): number {
  const value = body?.[field] ?? fallback;
  if (value === undefined) throw validationFailed([{ field, message: 'is required' }]);
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max)
    throw validationFailed([{ field, message: `must be an integer from ${min} to ${max}` }]);
  return value;
}

export interface BenchRouteDeps {
  ch: ClickHouse;
  log: Logger;
  /** The worker's activity slots: how many deliveries the ingestion benchmark runs at once. */
  deliverySlots: number;
}

/**
 * Routes for `npm run bench`, on only with ENABLE_BENCH_ROUTES=1: they load synthetic data and
 * time work inside the process that holds the (embedded) database.
 */
export function benchRoutes({ ch, log, deliverySlots }: BenchRouteDeps): Router {
  const router = new Router({ prefix: '/admin/bench' });

  router.post('/generate', async (ctx) => {
    const body = (await readJsonBody(ctx)) as Record<string, unknown> | undefined;
    const orders = integerIn(body, 'orders', undefined, 1, 100_000_000);
    const year = integerIn(body, 'year', 2025, 1971, 2200);
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
  });

  router.post('/ingest', async (ctx) => {
    const body = (await readJsonBody(ctx)) as Record<string, unknown> | undefined;
    ctx.body = await benchmarkIngestion(ch, {
      orders: integerIn(body, 'orders', 2000, 1, 200_000),
      concurrency: integerIn(body, 'concurrency', deliverySlots, 1, 10_000),
      singleRowSample: integerIn(body, 'singleRowSample', 500, 1, 20_000),
      rounds: integerIn(body, 'rounds', 3, 1, 9),
      // Activities log as the worker's do: through the service's logger, at its level.
      logger: temporalLogger(log),
      logsInfo: log.isLevelEnabled('info'),
    });
  });

  router.post('/direct', async (ctx) => {
    ctx.body = await timeQueriesDirectly(ch, (await readJsonBody(ctx)) as Partial<QueryPlan>);
  });

  return router;
}
