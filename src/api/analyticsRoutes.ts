/**
 * Analytics over the read models: revenue per hour, day or month and the best-selling products
 * (any key), and read-only SQL for analysts (admin keys only).
 */
import Router from '@koa/router';
import type { ClickHouse } from '../clickhouse/client';
import { bucketStarts, recentOrders, revenueSeries, topProducts } from '../clickhouse/analytics';
import { checkAnalystParams, checkAnalystSql, runAnalystSql } from '../clickhouse/analystSql';
import { validationFailed } from '../domain/errors';
import { readJsonBody } from './body';
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
    ctx.body = await revenueSeries(ch, from, to, granularity);
  });

  router.get('/analytics/top-products', async (ctx) => {
    const { from, to } = parseRange(ctx.query, now());
    const limit = parseShortLimit(ctx.query);
    ctx.body = { from: from.toISOString(), to: to.toISOString(), products: await topProducts(ch, from, to, limit) };
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
    ctx.body = await runAnalystSql(ch, checkAnalystSql(sql), checkAnalystParams(params));
  });

  return router;
}
