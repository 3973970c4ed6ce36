/**
 * The shapes of the API's answers, for the document (each a named component) and for the tests
 * that hold the answers to them. An answer that is a domain shape (the order, a command's outcome)
 * is declared where that shape lives (src/domain/order.ts, workflows/messages.ts) and only gets
 * its name and documentation here. The shapes of requests are the domain's (src/domain/commands.ts)
 * and the routes' own.
 */
import * as z from 'zod';
import { COMMAND_SCHEMAS } from '../domain/commands';
import { INSTANT, ORDER_ITEM, ORDER_SNAPSHOT, ORDER_STATUSES } from '../domain/order';
import type { ErrorCode } from '../domain/errors';
import { COMMAND_OUTCOME } from '../../workflows/messages';
import { HTTP_STATUS } from './problem';

const { ORDER_STATUS } = COMMAND_SCHEMAS;

/** An amount, documented as exact to the cent; `number` is the domain's own when it declares one. */
const money = (description = 'An amount in the currency of the prices, exact to the cent', number = z.number()) =>
  number.meta({ description, multipleOf: 0.01 });
const count = z.int().min(0);

export const ORDER_LINE_ANSWER = ORDER_ITEM.extend({ price: money('Unit price', ORDER_ITEM.shape.price) }).meta({ id: 'OrderLine' });

export const ORDER = ORDER_SNAPSHOT.extend({ total: money(undefined, ORDER_SNAPSHOT.shape.total), items: z.array(ORDER_LINE_ANSWER) }).meta({
  id: 'Order',
  description: 'The write model, as the order workflow holds it',
});

export const ORDER_VIEW = ORDER.extend({ items: ORDER.shape.items.optional() }).meta({
  id: 'OrderView',
  description: 'An order from the read model (no line items); with consistency=strong, the Order',
});

const NEXT_CURSOR = z.string().nullable().meta({ description: 'Pass as cursor for the next page; null on the last page' });

export const ORDER_PAGE = z
  .object({
    orders: z.array(ORDER_VIEW),
    nextCursor: NEXT_CURSOR,
  })
  .meta({ id: 'OrderPage' });

/** The instant a past-tense answer speaks of, when a client asked for one. */
const AS_OF_ANSWER = INSTANT.optional().meta({ description: 'The instant each order was counted as of (asOf), when one was asked for' });

export const STATISTICS = z
  .object({
    from: INSTANT,
    to: INSTANT,
    asOf: AS_OF_ANSWER,
    totalOrders: count,
    totalRevenue: money(),
    netRevenue: money('Revenue without cancelled orders'),
    averageOrderValue: money(),
    ordersByStatus: z.object(Object.fromEntries(ORDER_STATUSES.map((status) => [status, count]))),
  })
  .meta({ id: 'Statistics' });

const EVENT_ENVELOPE = {
  eventId: z.string().meta({ description: '`<orderId>:<version>`' }),
  version: z.int().min(1).meta({ description: "The event's place in the order's history: 1, 2, …" }),
  occurredAt: INSTANT,
  commandId: z.string().meta({ description: "The command that recorded it (its Idempotency-Key); system:… for the service's own" }),
  correlationId: z.string(),
};

export const ORDER_EVENT = z
  .discriminatedUnion('type', [
    z.object({
      ...EVENT_ENVELOPE,
      type: z.literal('OrderCreated'),
      data: z.object({
        customerId: z.string(),
        customerName: z.string(),
        customerNameGiven: z.boolean().meta({ description: 'Whether the client gave the name (false: the service filled it in)' }),
        items: z.array(ORDER_LINE_ANSWER),
        total: money(),
      }),
    }),
    z.object({ ...EVENT_ENVELOPE, type: z.literal('OrderStatusChanged'), data: z.object({ oldStatus: ORDER_STATUS, newStatus: ORDER_STATUS }) }),
    z.object({ ...EVENT_ENVELOPE, type: z.literal('OrderCancelled'), data: z.object({ previousStatus: ORDER_STATUS, reason: z.string() }) }),
  ])
  .meta({ id: 'OrderEvent', description: 'One event of the event log; data is its payload' });

export const ORDER_EVENT_PAGE = z
  .object({
    orderId: z.string(),
    events: z.array(ORDER_EVENT),
    nextCursor: NEXT_CURSOR,
  })
  .meta({ id: 'OrderEventPage' });

export const ACCEPTED = z.object({ orderId: z.string(), commandId: z.string() }).meta({ id: 'Accepted' });

export const COMMAND_OUTCOME_ANSWER = COMMAND_OUTCOME.meta({ id: 'CommandOutcome' });

export const HEALTH = z.object({ status: z.literal('ok') }).meta({ id: 'Health' });

export const REFUSED_EVENT = z
  .object({
    orderId: z.string(),
    eventId: z.string(),
    version: z.int().min(1),
    reason: z.string().meta({ description: "The event log's own words" }),
    refusedAt: INSTANT,
  })
  .meta({ id: 'RefusedEvent', description: 'An event the event log refused for good, held in its order workflow until redelivered' });

export const READINESS = z
  .object({
    status: z.enum(['ready', 'not ready']),
    checks: z.record(z.string(), z.string()),
    detail: z
      .object({
        refusedEvents: z.object({
          waiting: count,
          oldest: z.array(REFUSED_EVENT),
          action: z.string().meta({ description: 'What an operator is to do' }),
        }),
      })
      .optional()
      .meta({ description: 'What an operator should know that does not make the service unready' }),
  })
  .meta({ id: 'Readiness' });

export const REDELIVERY = z
  .object({
    asked: z.array(REFUSED_EVENT).meta({ description: 'The refused events whose orders were asked to deliver them again' }),
    failed: z.array(z.object({ orderId: z.string(), error: z.string() })).meta({ description: 'Orders that could not be asked, with the reason' }),
    remaining: count.meta({ description: 'Refused events left for a further call' }),
  })
  .meta({ id: 'Redelivery' });

export const REVENUE_SERIES = z
  .object({
    from: INSTANT,
    to: INSTANT,
    asOf: AS_OF_ANSWER,
    granularity: z.enum(['hour', 'day', 'month']),
    buckets: z.array(z.object({ start: INSTANT, orders: count, cancelledOrders: count, totalRevenue: money(), netRevenue: money() })),
  })
  .meta({ id: 'RevenueSeries' });

export const TOP_PRODUCTS = z
  .object({
    from: INSTANT,
    to: INSTANT,
    products: z.array(z.object({ productId: z.string(), units: count, orders: count, revenue: money() })),
  })
  .meta({ id: 'TopProducts' });

export const RECENT_ORDERS = z.object({ orders: z.array(ORDER_VIEW) }).meta({ id: 'RecentOrders' });

export const SQL_ANSWER = z
  .object({
    columns: z.array(z.object({ name: z.string(), type: z.string().meta({ description: 'ClickHouse type' }) })),
    rows: z.array(z.record(z.string(), z.unknown()).meta({ description: 'Column name → value (64-bit integers as strings)' })),
    rowCount: count,
    statistics: z.object({ elapsedSeconds: z.number().min(0), rowsRead: count, bytesRead: count }),
  })
  .meta({ id: 'SqlAnswer' });

export const REBUILD_LINE = z
  .object({ progress: z.record(z.string(), z.unknown()).optional(), done: z.record(z.string(), z.unknown()).optional(), error: z.string().optional() })
  .meta({ id: 'RebuildLine', description: 'One line of the NDJSON stream: {progress} while it runs, then {done} or {error}' });

const PROBLEM_FIELDS = {
  type: z.string(),
  title: z.string(),
  status: z.int(),
  detail: z.string(),
  errors: z
    .array(z.object({ field: z.string(), message: z.string() }))
    .optional()
    .meta({ description: 'Each bad field, named by its path' }),
  requestId: z.string().optional(),
};

/** A refusal: RFC 9457 problem details with one of the stable codes that share its status. */
export function problem(codes: readonly ErrorCode[]) {
  return z.object({ ...PROBLEM_FIELDS, code: z.enum(codes as [ErrorCode, ...ErrorCode[]]) });
}

export const PROBLEM = problem(Object.keys(HTTP_STATUS) as ErrorCode[]).meta({ id: 'Problem', description: 'RFC 9457 problem details with a stable code' });
