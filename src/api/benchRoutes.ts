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
    const body = (await readJsonBody(ctx)) as { orders?: unknown; year?: unknown } | undefined;
    const orders = Number(body?.orders);
    if (!Number.isInteger(orders) || orders < 1 || orders > 100_000_000)
      throw validationFailed([{ field: 'orders', message: 'must be an integer from 1 to 100000000' }]);
    const stream = new PassThrough();
    ctx.type = 'application/x-ndjson';
    ctx.body = stream;
    const write = (line: object) => stream.write(`${JSON.stringify(line)}\n`);
    (async () => {
      const done = await generateOrders(ch, { orders, year: Number(body?.year ?? 2025) }, (progress) => write({ progress }));
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
    const body = (await readJsonBody(ctx)) as { orders?: number; concurrency?: number; singleRowSample?: number; rounds?: number } | undefined;
    const rounds = Number(body?.rounds ?? 3);
    if (!Number.isInteger(rounds) || rounds < 1 || rounds > 9) throw validationFailed([{ field: 'rounds', message: 'must be an integer from 1 to 9' }]);
    ctx.body = await benchmarkIngestion(ch, {
      orders: Math.min(Number(body?.orders ?? 2000), 200_000),
      concurrency: Math.min(Number(body?.concurrency ?? deliverySlots), 10_000),
      singleRowSample: Math.min(Number(body?.singleRowSample ?? 500), 20_000),
      rounds,
      // Activities log as the worker's do: through the service's logger, at its level.
      logger: temporalLogger(log),
    });
  });

  router.post('/direct', async (ctx) => {
    ctx.body = await timeQueriesDirectly(ch, (await readJsonBody(ctx)) as Partial<QueryPlan>);
  });

  return router;
}
