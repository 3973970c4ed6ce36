/**
 * Analytics over the read models: revenue per hour, day or month and the best-selling products
 * (any key), and read-only SQL for analysts (admin keys only).
 */
import type { Context } from 'koa';
import * as z from 'zod';
import { ANALYST_LIMITS, ANALYST_PARAM_VALUES } from '../clickhouse/analystSql';
import { validationFailed } from '../domain/errors';
import { sendExactJson } from './exactJson';
import type { Granularity, ReadModels } from './ports';
import { GRANULARITY, MAX_BUCKETS, RANGE, RANGE_AS_OF, rangeAsOf, rangeOf, SHORT_LIMIT } from './queryParams';
import { routeFor } from './route';
import { RECENT_ORDERS, REVENUE_SERIES, SQL_ANSWER, TOP_PRODUCTS } from './schemas';

const MIB = 1024 * 1024;

export interface AnalyticsRouteDeps {
  readModels: ReadModels;
  now: () => Date;
}

const route = routeFor<AnalyticsRouteDeps>();

const HOUR_MS = 60 * 60 * 1000;

/** At least as many buckets as [from, to) meets, counted without listing them. */
function bucketCount(from: Date, to: Date, granularity: Granularity): number {
  const span = to.getTime() - from.getTime();
  if (granularity === 'hour') return Math.ceil(span / HOUR_MS) + 1;
  if (granularity === 'day') return Math.ceil(span / (24 * HOUR_MS)) + 1;
  return (to.getUTCFullYear() - from.getUTCFullYear()) * 12 + (to.getUTCMonth() - from.getUTCMonth()) + 1;
}

export const revenue = route({
  method: 'get',
  path: '/analytics/revenue',
  operationId: 'revenue',
  summary: 'Orders, total and net revenue per hour, day or month of creation, empty buckets included; now or as of a past instant',
  access: 'read',
  query: RANGE_AS_OF.extend({ granularity: GRANULARITY }),
  answers: { 200: { description: 'One bucket per hour, day or month of [from, to)', schema: REVENUE_SERIES } },
  refusals: [],
  handler:
    ({ readModels, now }) =>
    async (ctx, { query }) => {
      const { from, to, asOf } = rangeAsOf(query, now());
      if (bucketCount(from, to, query.granularity) > MAX_BUCKETS) {
        throw validationFailed([
          { field: 'granularity', message: `the range holds more than ${MAX_BUCKETS} ${query.granularity} buckets; narrow it or use a coarser granularity` },
        ]);
      }
      sendExactJson(ctx, await readModels.revenueSeries(from, to, query.granularity, asOf));
    },
});

export const topProducts = route({
  method: 'get',
  path: '/analytics/top-products',
  operationId: 'topProducts',
  summary: 'Units and revenue per product over orders created in [from, to) and not cancelled, best first',
  access: 'read',
  query: RANGE.extend({ limit: SHORT_LIMIT }),
  answers: { 200: { description: 'The products', schema: TOP_PRODUCTS } },
  refusals: [],
  handler:
    ({ readModels, now }) =>
    async (ctx, { query }) => {
      const { from, to } = rangeOf(query, now());
      sendExactJson(ctx, { from: from.toISOString(), to: to.toISOString(), products: await readModels.topProducts(from, to, query.limit) });
    },
});

export const recentOrders = route({
  method: 'get',
  path: '/analytics/recent-orders',
  operationId: 'recentOrders',
  summary: 'The most recently created orders, newest first (for the dashboard)',
  access: 'read',
  query: z.object({ limit: SHORT_LIMIT }),
  answers: { 200: { description: 'The orders', schema: RECENT_ORDERS } },
  refusals: [],
  handler:
    ({ readModels }) =>
    async (ctx, { query }) => {
      ctx.body = { orders: await readModels.recentOrders(query.limit) };
    },
});

const SCALAR = z.union([
  z.string(),
  z.number().min(-Number.MAX_SAFE_INTEGER, ANALYST_PARAM_VALUES).max(Number.MAX_SAFE_INTEGER, ANALYST_PARAM_VALUES),
  z.boolean(),
]);

export const analyticsSql = route({
  method: 'post',
  path: '/analytics/sql',
  operationId: 'analyticsSql',
  summary: `One read-only SELECT on ClickHouse (admin keys): readonly, at most ${ANALYST_LIMITS.maxResultRows} rows, ${ANALYST_LIMITS.maxResultBytes / MIB} MiB and ${ANALYST_LIMITS.maxExecutionSeconds} s`,
  access: 'admin',
  body: z
    .strictObject({
      sql: z
        .string()
        .max(ANALYST_LIMITS.maxSqlLength)
        .meta({ description: 'One SELECT (or WITH … SELECT) statement', examples: ['SELECT count() FROM orders.orders_by_id FINAL'] }),
      params: z
        .record(z.string().regex(/^[A-Za-z_][A-Za-z0-9_]{0,63}$/), z.union([SCALAR, z.array(SCALAR).max(10_000)], { error: ANALYST_PARAM_VALUES }), {
          error: (issue) => (issue.code === 'invalid_key' ? 'is not a parameter name (letters, digits and _, at most 64)' : undefined),
        })
        .optional()
        .meta({
          description: 'Values for {name:Type} placeholders: strings, numbers within ±(2^53 − 1) (larger ones as strings), booleans or lists of them',
          maxProperties: ANALYST_LIMITS.maxParams,
        }),
    })
    .meta({ id: 'SqlRequest' }),
  answers: { 200: { description: 'Columns with their types, then the rows', schema: SQL_ANSWER } },
  refusals: ['SQL_NOT_ALLOWED', 'SQL_FAILED', 'SQL_LIMIT_EXCEEDED'],
  handler:
    ({ readModels }) =>
    async (ctx, { body }) => {
      sendExactJson(ctx, await readModels.runAnalystSql(body.sql, body.params ?? {}, clientGone(ctx)));
    },
});

export const ANALYTICS_ROUTES = [revenue, topProducts, recentOrders, analyticsSql];

/** Fires when the client hangs up before its answer was written, so that its statement stops. */
function clientGone(ctx: Context): AbortSignal {
  const gone = new AbortController();
  ctx.res.once('close', () => {
    if (!ctx.res.writableFinished) gone.abort();
  });
  return gone.signal;
}
