/**
 * Analytics over the read models: revenue per hour, day or month and the best-selling products
 * (any key), and read-only SQL for analysts (admin keys only).
 */
import Router from '@koa/router';
import type { Context } from 'koa';
import type { ClickHouse } from '../clickhouse/client';
import { bucketStarts, recentOrders, revenueSeries, topProducts } from '../clickhouse/analytics';
import { prepareAnalystSql, runAnalystSql } from '../clickhouse/analystSql';
import { validationFailed } from '../domain/errors';
import { readJsonBody } from './body';
import { sendExactJson } from './exactJson';
import { MAX_BUCKETS, parseGranularity, parseShortLimit, parseRange } from './queryParams';

export function analyticsRoutes(ch: ClickHouse, now: () => Date = () => new Date()): Router {
  const router = new Router();

  router.get('/analytics/revenue', async (ctx) => {
    const { from, to } = parseRange(ctx.query, now());
    const granularity = parseGranularity(ctx.query);
    if (bucketStarts(from, to, granularity).length > MAX_BUCKETS) {
      throw validationFailed([
        { field: 'granularity', message: `the range holds more than ${MAX_BUCKETS} ${granularity} buckets; narrow it or use a coarser granularity` },
      ]);
    }
    sendExactJson(ctx, await revenueSeries(ch, from, to, granularity));
  });

  router.get('/analytics/top-products', async (ctx) => {
    const { from, to } = parseRange(ctx.query, now());
    const limit = parseShortLimit(ctx.query);
    sendExactJson(ctx, { from: from.toISOString(), to: to.toISOString(), products: await topProducts(ch, from, to, limit) });
  });

  router.get('/analytics/recent-orders', async (ctx) => {
    ctx.body = { orders: await recentOrders(ch, parseShortLimit(ctx.query)) };
  });

  router.post('/analytics/sql', async (ctx) => {
    const body = await readJsonBody(ctx);
    if (typeof body !== 'object' || body === null || Array.isArray(body)) {
      throw validationFailed([{ field: 'body', message: 'must be a JSON object {sql, params?}' }]);
    }
    const { sql, params, ...rest } = body as Record<string, unknown>;
    const unknown = Object.keys(rest);
    if (unknown.length > 0) throw validationFailed(unknown.map((field) => ({ field, message: 'is not a known field' })));
    const statement = await prepareAnalystSql(ch, sql, params);
    sendExactJson(ctx, await runAnalystSql(ch, statement, clientGone(ctx)));
  });

  return router;
}

/** Fires when the client hangs up before its answer was written, so that its statement stops. */
function clientGone(ctx: Context): AbortSignal {
  const gone = new AbortController();
  ctx.res.once('close', () => {
    if (!ctx.res.writableFinished) gone.abort();
  });
  return gone.signal;
}
