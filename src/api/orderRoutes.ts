/**
 * The order routes: commands go to the order's workflow (as Updates, or as Signals with
 * `Prefer: respond-async`), queries to the read models (or, with `?consistency=strong`, to the
 * workflow). Request bodies are built from the domain's command fields and checked again as
 * commands before they are sent.
 */
import { randomUUID } from 'node:crypto';
import type { Context } from 'koa';
import * as z from 'zod';
import { COMMAND_SCHEMAS, CORRELATION_ID_PATTERN, id, orderLines } from '../domain/commands';
import { DomainError, ErrorCode, parseFields, validationFailed } from '../domain/errors';
import { CommandMeta, OrderEvent, snapshot, stateAfter } from '../domain/order';
import { encodeEventCursor } from '../clickhouse/history';
import { sendExactJson } from './exactJson';
import type { AcceptedCommand, OrderCommands, ReadModels } from './ports';
import {
  AS_OF,
  CONSISTENCY,
  CURSOR,
  CUSTOMER_FILTER,
  EVENT_CURSOR,
  LIMIT,
  MIN_VERSION,
  NOT_ISSUED,
  pastInstant,
  RANGE_AS_OF,
  rangeAsOf,
  STATUS_FILTER,
} from './queryParams';
import { routeFor } from './route';
import { ACCEPTED, COMMAND_OUTCOME_ANSWER, ORDER, ORDER_EVENT_PAGE, ORDER_PAGE, ORDER_VIEW, STATISTICS } from './schemas';

export interface OrderRouteDeps {
  gateway: OrderCommands;
  readModels: ReadModels;
  now: () => Date;
  /** How long `?minVersion=` may wait for the read model. */
  minVersionWaitMs: number;
}

const route = routeFor<OrderRouteDeps>();
const {
  CANCEL_ORDER,
  CHANGE_ORDER_STATUS,
  CLIENT_COMMAND_ID,
  COMMAND_ID,
  CREATE_ORDER,
  CUSTOMER_NAME,
  ORDER_STATUS,
  PRICE,
  PRODUCT_ID,
  PRODUCT_NAME,
  QUANTITY,
  REASON,
} = COMMAND_SCHEMAS;

const ORDER_ID = z.object({ orderId: id('The order').meta({ examples: ['order-001'] }) });

/** What a client can do next with the order an answer shows. */
const ORDER_LINKS = {
  getOrder: { operationId: 'getOrder', parameters: { orderId: '$response.body#/orderId' } },
  listOrderEvents: { operationId: 'listOrderEvents', parameters: { orderId: '$response.body#/orderId' } },
  changeOrderStatus: { operationId: 'changeOrderStatus', parameters: { orderId: '$response.body#/orderId' } },
  cancelOrder: { operationId: 'cancelOrder', parameters: { orderId: '$response.body#/orderId' } },
  listCustomerOrders: { operationId: 'listCustomerOrders', parameters: { customerId: '$response.body#/customerId' } },
};

export const ORDER_LINE_BODY = z
  .strictObject({ productId: PRODUCT_ID, productName: PRODUCT_NAME.optional(), quantity: QUANTITY, price: PRICE })
  .transform(({ price, ...line }) => ({ ...line, unitPriceCents: price }))
  .meta({ id: 'OrderLineRequest' });

export const CREATE_ORDER_BODY = z
  .strictObject({
    orderId: id("The client's id for the order; a second create of it answers 409"),
    customerId: id('The customer'),
    customerName: CUSTOMER_NAME.optional().meta({
      description: 'The name to show; when left out, the name this customer last gave, or one made from the id',
    }),
    items: orderLines(ORDER_LINE_BODY).meta({ description: 'The order lines' }),
  })
  .meta({
    id: 'CreateOrderRequest',
    examples: [
      {
        orderId: 'order-001',
        customerId: 'customer-123',
        customerName: 'Ada Lovelace',
        items: [
          { productId: 'prod-1', productName: 'Notebook', quantity: 2, price: 29.99 },
          { productId: 'prod-2', quantity: 1, price: 49.99 },
        ],
      },
    ],
  });

export const CHANGE_STATUS_BODY = z
  .strictObject({
    status: ORDER_STATUS.meta({ description: 'The status to move to; the state machine decides whether it may' }),
    reason: REASON.optional().meta({ description: 'Why (kept with a cancellation)' }),
  })
  .meta({ id: 'ChangeOrderStatusRequest', examples: [{ status: 'CONFIRMED' }] });

export const CANCEL_BODY = z
  .strictObject({ reason: REASON.meta({ description: 'Why the order is cancelled' }) })
  .meta({ id: 'CancelOrderRequest', examples: [{ reason: 'Customer requested cancellation' }] });

const COMMAND_HEADERS = z.object({
  'Idempotency-Key': CLIENT_COMMAND_ID.optional(),
  Prefer: z.string().optional().meta({ description: 'With the preference `respond-async`, the command answers 202 at once; its Location tells its outcome' }),
  'X-Correlation-Id': z
    .string()
    .regex(CORRELATION_ID_PATTERN, 'must be 1 to 128 letters, digits or . _ : -')
    .optional()
    .meta({ description: 'Carried into the workflow and its events (the request id otherwise)' }),
});
type CommandHeaders = z.output<typeof COMMAND_HEADERS>;

const COMMAND_REFUSALS: ErrorCode[] = ['ORDER_NOT_FOUND', 'INVALID_TRANSITION'];
const LOCATION = z.object({ Location: z.string() });
const ACCEPTED_ANSWER = {
  description: 'Accepted (Prefer: respond-async); its Location tells its outcome',
  schema: ACCEPTED,
  headers: z.object({ Location: z.string(), 'Preference-Applied': z.literal('respond-async') }),
  links: {
    getCommandOutcome: { operationId: 'getCommandOutcome', parameters: { orderId: '$response.body#/orderId', commandId: '$response.body#/commandId' } },
  },
};

function commandMeta(ctx: Context, headers: CommandHeaders): CommandMeta {
  return { commandId: headers['Idempotency-Key'] ?? randomUUID(), correlationId: ctx.state.correlationId as string };
}

/** RFC 7240: `Prefer: respond-async` asks for 202 Accepted instead of waiting for the result. */
function wantsAsync(headers: CommandHeaders): boolean {
  return (headers.Prefer ?? '').split(/[,;]/).some((token) => token.trim().toLowerCase() === 'respond-async');
}

function acceptedAsync(ctx: Context, { orderId, commandId }: AcceptedCommand): void {
  ctx.status = 202;
  ctx.set('Preference-Applied', 'respond-async');
  ctx.set('Location', `/orders/${encodeURIComponent(orderId)}/commands/${encodeURIComponent(commandId)}`);
  ctx.body = { commandId, orderId };
}

function notFound(orderId: string, asOf?: Date): DomainError {
  return new DomainError('ORDER_NOT_FOUND', asOf ? `order ${orderId} did not exist at ${asOf.toISOString()}` : `order ${orderId} does not exist`);
}

/**
 * The name a customer last gave, else `Customer-<id>` as in the guide. A command must not fail
 * because the read side is away, so a failed lookup falls back to the default name.
 */
async function knownCustomerName(ctx: Context, readModels: ReadModels, customerId: string): Promise<string> {
  try {
    return (await readModels.lastCustomerName(customerId)) ?? `Customer-${customerId}`;
  } catch (error) {
    ctx.state.log?.warn({ err: error, customerId }, 'could not look up the customer name; using the default');
    return `Customer-${customerId}`;
  }
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

export const createOrder = route({
  method: 'post',
  path: '/orders',
  operationId: 'createOrder',
  summary: 'Create an order (PENDING)',
  access: 'write',
  command: 'CreateOrder',
  headers: COMMAND_HEADERS,
  body: CREATE_ORDER_BODY,
  answers: { 201: { description: 'The order as created', schema: ORDER, headers: LOCATION, links: ORDER_LINKS }, 202: ACCEPTED_ANSWER },
  refusals: ['ORDER_ALREADY_EXISTS'],
  handler:
    ({ gateway, readModels }) =>
    async (ctx, { headers, body }) => {
      const command = parseFields(
        CREATE_ORDER,
        {
          type: 'CreateOrder',
          ...commandMeta(ctx, headers),
          ...body,
          customerName: body.customerName ?? (await knownCustomerName(ctx, readModels, body.customerId)),
          customerNameGiven: body.customerName !== undefined,
        },
        'body',
      );
      ctx.state.command = command;
      if (wantsAsync(headers)) return acceptedAsync(ctx, await gateway.createAsync(command));
      const order = await gateway.create(command);
      ctx.status = 201;
      ctx.set('Location', `/orders/${encodeURIComponent(order.orderId)}`);
      ctx.body = order;
    },
});

export const changeOrderStatus = route({
  method: 'post',
  path: '/orders/{orderId}/status',
  operationId: 'changeOrderStatus',
  summary: 'Move an order along the state machine (CONFIRMED, SHIPPED, DELIVERED, CANCELLED)',
  access: 'write',
  command: 'ChangeOrderStatus',
  params: ORDER_ID,
  headers: COMMAND_HEADERS,
  body: CHANGE_STATUS_BODY,
  answers: { 200: { description: 'The order after the change', schema: ORDER, links: ORDER_LINKS }, 202: ACCEPTED_ANSWER },
  refusals: COMMAND_REFUSALS,
  handler:
    ({ gateway }) =>
    async (ctx, { params, headers, body }) => {
      const command = parseFields(CHANGE_ORDER_STATUS, { type: 'ChangeOrderStatus', ...commandMeta(ctx, headers), ...params, ...body }, 'body');
      ctx.state.command = command;
      if (wantsAsync(headers)) return acceptedAsync(ctx, await gateway.changeStatusAsync(command));
      ctx.body = await gateway.changeStatus(command);
    },
});

export const cancelOrder = route({
  method: 'post',
  path: '/orders/{orderId}/cancel',
  operationId: 'cancelOrder',
  summary: 'Cancel an order (PENDING or CONFIRMED only)',
  access: 'write',
  command: 'CancelOrder',
  params: ORDER_ID,
  headers: COMMAND_HEADERS,
  body: CANCEL_BODY,
  answers: { 200: { description: 'The cancelled order', schema: ORDER, links: ORDER_LINKS }, 202: ACCEPTED_ANSWER },
  refusals: COMMAND_REFUSALS,
  handler:
    ({ gateway }) =>
    async (ctx, { params, headers, body }) => {
      const command = parseFields(CANCEL_ORDER, { type: 'CancelOrder', ...commandMeta(ctx, headers), ...params, ...body }, 'body');
      ctx.state.command = command;
      if (wantsAsync(headers)) return acceptedAsync(ctx, await gateway.cancelAsync(command));
      ctx.body = await gateway.cancel(command);
    },
});

export const getCommandOutcome = route({
  method: 'get',
  path: '/orders/{orderId}/commands/{commandId}',
  operationId: 'getCommandOutcome',
  summary: 'The outcome of a command, e.g. one sent with Prefer: respond-async',
  access: 'read',
  params: ORDER_ID.extend({ commandId: COMMAND_ID }),
  answers: { 200: { description: 'Accepted or refused, and the order version it made', schema: COMMAND_OUTCOME_ANSWER } },
  refusals: ['NOT_FOUND'],
  handler:
    ({ gateway }) =>
    async (ctx, { params: { orderId, commandId } }) => {
      const outcome = await gateway.outcome(orderId, commandId);
      if (!outcome) throw new DomainError('NOT_FOUND', `order ${orderId} has no record of command ${commandId} (yet)`);
      ctx.body = outcome;
    },
});

const AS_OF_ALONE = 'cannot be combined with consistency=strong or minVersion: the order as it stood then is read from the event log';

/** The order as it stood at `asOf`: its events up to then, folded with the domain's own evolve. */
async function readAsOf(ctx: Context, readModels: ReadModels, orderId: string, asOf: Date): Promise<void> {
  const state = stateAfter(await readModels.orderEvents(orderId, { asOf }));
  if (!state) throw notFound(orderId, asOf);
  ctx.body = snapshot(state);
}

/** The order as its workflow holds it. */
async function readStrongly(ctx: Context, gateway: OrderCommands, orderId: string): Promise<void> {
  const order = await gateway.read(orderId);
  if (!order) throw notFound(orderId);
  ctx.set('X-Consistency', 'strong');
  ctx.body = order;
}

/** The order from the read model, once every read model holds `minVersion` of it (or the wait ran out). */
async function readEventually(ctx: Context, { readModels, minVersionWaitMs }: OrderRouteDeps, orderId: string, minVersion?: number): Promise<void> {
  let view = await readModels.orderById(orderId);
  if (minVersion !== undefined) {
    // Reached means reached in every read model, so the lists and statistics read next count it.
    const reached = async () => view !== undefined && view.version >= minVersion && (await readModels.reachedEverywhere(view, minVersion));
    const deadline = Date.now() + minVersionWaitMs;
    let done = await reached();
    while (!done && Date.now() < deadline) {
      await sleep(20);
      view = await readModels.orderById(orderId);
      done = await reached();
    }
    // Say plainly when the wait ran out, rather than pretend the answer is as new as asked.
    ctx.set('X-Read-Model-Version-Reached', String(done));
  }
  if (!view) throw notFound(orderId);
  ctx.body = view;
}

export const getOrder = route({
  method: 'get',
  path: '/orders/{orderId}',
  operationId: 'getOrder',
  summary: 'An order from the read model, from its workflow with consistency=strong, or as it stood at a past instant (asOf)',
  access: 'read',
  params: ORDER_ID,
  query: z.object({
    minVersion: MIN_VERSION.optional(),
    consistency: CONSISTENCY,
    asOf: AS_OF.optional().meta({
      description: 'The order as it stood at this instant, folded from its events up to then (items included); 404 before it existed; not in the future',
    }),
  }),
  answers: {
    200: {
      description: 'The order (with items when consistency=strong or asOf)',
      schema: ORDER_VIEW,
      headers: z.object({
        'X-Consistency': z.literal('strong').optional().meta({ description: 'Sent when the order was read from its workflow' }),
        'X-Read-Model-Version-Reached': z.enum(['true', 'false']).optional().meta({ description: 'With minVersion: whether every read model reached it' }),
      }),
    },
  },
  refusals: ['ORDER_NOT_FOUND'],
  handler:
    (deps) =>
    async (ctx, { params: { orderId }, query: { minVersion, consistency, asOf } }) => {
      const past = pastInstant(asOf, deps.now());
      if (past && (consistency === 'strong' || minVersion !== undefined)) throw validationFailed([{ field: 'asOf', message: AS_OF_ALONE }]);
      if (past) return readAsOf(ctx, deps.readModels, orderId, past);
      if (consistency === 'strong') return readStrongly(ctx, deps.gateway, orderId);
      return readEventually(ctx, deps, orderId, minVersion);
    },
});

/** An event as the API shows it: its envelope, and its payload as `data`. */
function eventAnswer(event: OrderEvent) {
  const { eventId, eventType, version, occurredAt, commandId, correlationId, payload } = event;
  return { eventId, type: eventType, version, occurredAt, commandId, correlationId, data: payload };
}

export const listOrderEvents = route({
  method: 'get',
  path: '/orders/{orderId}/events',
  operationId: 'listOrderEvents',
  summary: "An order's events in version order, a page at a time: its audit trail, from the event log",
  access: 'read',
  params: ORDER_ID,
  query: z.object({
    limit: LIMIT,
    cursor: EVENT_CURSOR.optional(),
    asOf: AS_OF.optional().meta({ description: 'Only the events that had occurred by this instant; not in the future' }),
  }),
  answers: { 200: { description: 'One page of events', schema: ORDER_EVENT_PAGE } },
  refusals: ['ORDER_NOT_FOUND'],
  handler:
    ({ readModels, now }) =>
    async (ctx, { params: { orderId }, query: { limit, cursor, asOf } }) => {
      if (cursor && cursor.orderId !== orderId) throw validationFailed([{ field: 'cursor', message: `${NOT_ISSUED} for this order` }]);
      const range = { afterVersion: cursor?.version ?? 0, asOf: pastInstant(asOf, now()), limit: limit + 1 };
      const found = await readModels.orderEvents(orderId, range);
      // A cursor is issued only for an order with events, so an empty page after one is the end.
      if (found.length === 0 && !cursor) throw notFound(orderId, range.asOf);
      const page = found.slice(0, limit);
      ctx.body = {
        orderId,
        events: page.map(eventAnswer),
        nextCursor: found.length > limit ? encodeEventCursor({ orderId, version: page[page.length - 1].version }) : null,
      };
    },
});

const PAGE = { status: STATUS_FILTER.optional(), limit: LIMIT, cursor: CURSOR.optional() };

export const listOrders = route({
  method: 'get',
  path: '/orders',
  operationId: 'listOrders',
  summary: 'Orders, optionally by status or customer, in orderId order, a page at a time',
  access: 'read',
  query: z.object({ ...PAGE, customerId: CUSTOMER_FILTER.optional() }),
  answers: { 200: { description: 'One page', schema: ORDER_PAGE } },
  refusals: [],
  handler:
    ({ readModels }) =>
    async (ctx, { query: { cursor, ...filter } }) => {
      ctx.body = await readModels.listOrders({ ...filter, after: cursor });
    },
});

export const listCustomerOrders = route({
  method: 'get',
  path: '/customers/{customerId}/orders',
  operationId: 'listCustomerOrders',
  summary: "A customer's orders, a page at a time",
  access: 'read',
  params: z.object({ customerId: id('The customer') }),
  query: z.object(PAGE),
  answers: { 200: { description: 'One page', schema: ORDER_PAGE } },
  refusals: [],
  handler:
    ({ readModels }) =>
    async (ctx, { params: { customerId }, query: { cursor, ...filter } }) => {
      ctx.body = await readModels.listOrders({ ...filter, customerId, after: cursor });
    },
});

export const orderStatistics = route({
  method: 'get',
  path: '/stats/orders',
  operationId: 'orderStatistics',
  summary: 'Revenue and counts over orders created in [from, to), now or as of a past instant',
  access: 'read',
  query: RANGE_AS_OF,
  answers: { 200: { description: 'Statistics in exact cents, as numbers with at most 2 decimals', schema: STATISTICS } },
  refusals: [],
  handler:
    ({ readModels, now }) =>
    async (ctx, { query }) => {
      const { from, to, asOf } = rangeAsOf(query, now());
      sendExactJson(ctx, await readModels.orderStatistics(from, to, asOf));
    },
});

export const ORDER_ROUTES = [
  createOrder,
  changeOrderStatus,
  cancelOrder,
  getCommandOutcome,
  getOrder,
  listOrderEvents,
  listOrders,
  listCustomerOrders,
  orderStatistics,
];
