/**
 * The order routes of DESIGN §4: commands go to the order's workflow, queries to the ClickHouse
 * read models (or, with `?consistency=strong`, to the workflow).
 */
import { randomUUID } from 'node:crypto';
import Router from '@koa/router';
import type { Context } from 'koa';
import type { ClickHouse } from '../clickhouse/client';
import { lastCustomerName, otherReadModelsAt, listOrders, orderById, orderStatistics } from '../clickhouse/orderQueries';
import { DomainError } from '../domain/errors';
import type { CommandMeta, CreateOrder } from '../domain/order';
import { parseCancelRequest, parseChangeStatusRequest, parseCommandId, parseCreateOrderRequest, parseId } from '../domain/validation';
import type { OrderGateway } from '../temporal/orderGateway';
import { readJsonBody } from './body';
import { sendExactJson } from './exactJson';
import { parseConsistency, parseCursor, parseLimit, parseMinVersion, parseOptionalId, parseRange, parseStatusFilter } from './queryParams';

export interface OrderRouteDeps {
  gateway: OrderGateway;
  ch: ClickHouse;
  now?: () => Date;
  /** How long `?minVersion=` may wait for the read model. */
  minVersionWaitMs?: number;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

function commandMeta(ctx: Context): CommandMeta {
  const key = ctx.get('Idempotency-Key');
  return {
    commandId: key ? parseCommandId(key) : randomUUID(),
    correlationId: ctx.state.correlationId as string,
  };
}

/** RFC 7240: `Prefer: respond-async` asks for 202 Accepted instead of waiting for the result. */
function wantsAsync(ctx: Context): boolean {
  return ctx
    .get('Prefer')
    .split(/[,;]/)
    .some((token) => token.trim().toLowerCase() === 'respond-async');
}

function acceptedAsync(ctx: Context, orderId: string, commandId: string): void {
  ctx.status = 202;
  ctx.set('Preference-Applied', 'respond-async');
  ctx.set('Location', `/orders/${encodeURIComponent(orderId)}/commands/${encodeURIComponent(commandId)}`);
  ctx.body = { commandId, orderId };
}

export function orderRoutes(deps: OrderRouteDeps): Router {
  const { gateway, ch } = deps;
  const now = deps.now ?? (() => new Date());
  const minVersionWaitMs = deps.minVersionWaitMs ?? 5000;
  const router = new Router();

  router.post('/orders', async (ctx) => {
    const request = parseCreateOrderRequest(await readJsonBody(ctx));
    const meta = commandMeta(ctx);
    const command: CreateOrder = {
      type: 'CreateOrder',
      ...meta,
      orderId: request.orderId,
      customerId: request.customerId,
      customerName: request.customerName ?? (await knownCustomerName(ctx, ch, request.customerId)),
      customerNameGiven: request.customerName !== undefined,
      items: request.items,
    };
    ctx.state.command = command;
    if (wantsAsync(ctx)) {
      const accepted = await gateway.createAsync(command);
      return acceptedAsync(ctx, accepted.orderId, accepted.commandId);
    }
    const order = await gateway.create(command);
    ctx.status = 201;
    ctx.set('Location', `/orders/${encodeURIComponent(order.orderId)}`);
    ctx.body = order;
  });

  router.post('/orders/:orderId/status', async (ctx) => {
    const orderId = parseId(ctx.params.orderId, 'orderId');
    const request = parseChangeStatusRequest(await readJsonBody(ctx));
    const command = { type: 'ChangeOrderStatus' as const, ...commandMeta(ctx), orderId, ...request };
    ctx.state.command = command;
    if (wantsAsync(ctx)) {
      const accepted = await gateway.changeStatusAsync(command);
      return acceptedAsync(ctx, accepted.orderId, accepted.commandId);
    }
    ctx.body = await gateway.changeStatus(command);
  });

  router.post('/orders/:orderId/cancel', async (ctx) => {
    const orderId = parseId(ctx.params.orderId, 'orderId');
    const request = parseCancelRequest(await readJsonBody(ctx));
    const command = { type: 'CancelOrder' as const, ...commandMeta(ctx), orderId, reason: request.reason };
    ctx.state.command = command;
    if (wantsAsync(ctx)) {
      const accepted = await gateway.cancelAsync(command);
      return acceptedAsync(ctx, accepted.orderId, accepted.commandId);
    }
    ctx.body = await gateway.cancel(command);
  });

  router.get('/orders/:orderId/commands/:commandId', async (ctx) => {
    const orderId = parseId(ctx.params.orderId, 'orderId');
    const commandId = parseCommandId(ctx.params.commandId, 'commandId');
    const outcome = await gateway.outcome(orderId, commandId);
    if (!outcome) throw new DomainError('NOT_FOUND', `order ${orderId} has no record of command ${commandId} (yet)`);
    ctx.body = outcome;
  });

  router.get('/orders/:orderId', async (ctx) => {
    const orderId = parseId(ctx.params.orderId, 'orderId');
    const minVersion = parseMinVersion(ctx.query);
    if (parseConsistency(ctx.query) === 'strong') {
      const order = await gateway.read(orderId);
      if (!order) throw notFound(orderId);
      ctx.set('X-Consistency', 'strong');
      ctx.body = order;
      return;
    }
    let view = await orderById(ch, orderId);
    if (minVersion !== undefined) {
      // Reached means reached in every read model, so the lists and statistics read next count it.
      const reached = async () => view !== undefined && view.version >= minVersion && (await otherReadModelsAt(ch, view, minVersion));
      const deadline = Date.now() + minVersionWaitMs;
      let done = await reached();
      while (!done && Date.now() < deadline) {
        await sleep(20);
        view = await orderById(ch, orderId);
        done = await reached();
      }
      // Say plainly when the wait ran out, rather than pretend the answer is as new as asked.
      ctx.set('X-Read-Model-Version-Reached', String(done));
    }
    if (!view) throw notFound(orderId);
    ctx.body = view;
  });

  router.get('/orders', async (ctx) => {
    ctx.body = await listOrders(ch, {
      status: parseStatusFilter(ctx.query),
      customerId: parseOptionalId(ctx.query, 'customerId'),
      limit: parseLimit(ctx.query),
      after: parseCursor(ctx.query),
    });
  });

  router.get('/customers/:customerId/orders', async (ctx) => {
    ctx.body = await listOrders(ch, {
      customerId: parseId(ctx.params.customerId, 'customerId'),
      status: parseStatusFilter(ctx.query),
      limit: parseLimit(ctx.query),
      after: parseCursor(ctx.query),
    });
  });

  router.get('/stats/orders', async (ctx) => {
    const { from, to } = parseRange(ctx.query, now());
    sendExactJson(ctx, await orderStatistics(ch, from, to));
  });

  return router;
}

function notFound(orderId: string): DomainError {
  return new DomainError('ORDER_NOT_FOUND', `order ${orderId} does not exist`);
}

/**
 * The name a customer last gave, else `Customer-<id>` as in the guide. A command must not fail
 * because the read side is away, so a failed lookup falls back to the default name.
 */
async function knownCustomerName(ctx: Context, ch: ClickHouse, customerId: string): Promise<string> {
  try {
    return (await lastCustomerName(ch, customerId)) ?? `Customer-${customerId}`;
  } catch (error) {
    ctx.state.log?.warn({ err: error, customerId }, 'could not look up the customer name; using the default');
    return `Customer-${customerId}`;
  }
}
