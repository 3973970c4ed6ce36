/**
 * The API over stand-ins of its ports, kept in memory, for the unit tier: a write model that runs
 * the domain's own `decide` and `evolve` (so commands are refused as the workflow refuses them),
 * and read models fed by the events it records. Nothing here touches Temporal or ClickHouse.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { bucketStarts } from '../../src/clickhouse/analytics';
import { encodeCursor } from '../../src/clickhouse/orderQueries';
import { AppDeps, createApp } from '../../src/api/app';
import type { AcceptedCommand, EventRange, OrderCommands, OrderView, ReadModels } from '../../src/api/ports';
import { answerClientError } from '../../src/api/problem';
import { DomainError } from '../../src/domain/errors';
import { averageAmount, exactAmount, toDecimalString } from '../../src/domain/money';
import { decide, evolve, ORDER_STATUSES, OrderCommand, OrderEvent, OrderState, OrderStatus, snapshot, stateAfter } from '../../src/domain/order';
import { silentLogger } from '../../src/logger';
import type { CommandOutcome } from '../../workflows/messages';
import { useApiKey } from './http';
import { TEST_KEYS } from './keys';

interface Kept {
  state?: OrderState;
  outcomes: Map<string, CommandOutcome>;
}

/** Every order in memory, judged by the domain; its events are handed to `onEvents`. */
export class InMemoryOrders implements OrderCommands {
  readonly orders = new Map<string, Kept>();
  readonly events: OrderEvent[] = [];

  constructor(
    private readonly onEvents: (state: OrderState, events: OrderEvent[]) => void,
    private readonly now: () => Date,
  ) {}

  private apply(command: OrderCommand) {
    const kept: Kept = this.orders.get(command.orderId) ?? { outcomes: new Map() };
    const earlier = kept.outcomes.get(command.commandId);
    if (earlier?.accepted) return snapshot(kept.state!);
    if (earlier) throw new DomainError(earlier.code as never, earlier.message);
    const events = decide(kept.state, command, this.now());
    for (const event of events) kept.state = evolve(kept.state, event);
    this.events.push(...events);
    const state = kept.state!;
    kept.outcomes.set(command.commandId, {
      commandId: command.commandId,
      accepted: true,
      version: state.version,
      status: state.status,
      updatedAt: state.updatedAt,
    });
    this.orders.set(command.orderId, kept);
    this.onEvents(state, events);
    return snapshot(state);
  }

  private applyLater(command: OrderCommand): AcceptedCommand {
    try {
      this.apply(command);
    } catch (error) {
      if (!(error instanceof DomainError)) throw error;
      const kept: Kept = this.orders.get(command.orderId) ?? { outcomes: new Map() };
      kept.outcomes.set(command.commandId, { commandId: command.commandId, accepted: false, code: error.code, message: error.message });
      this.orders.set(command.orderId, kept);
    }
    return { orderId: command.orderId, commandId: command.commandId };
  }

  async create(command: Parameters<OrderCommands['create']>[0]) {
    return this.apply(command);
  }
  async createAsync(command: Parameters<OrderCommands['create']>[0]) {
    return this.applyLater(command);
  }
  async changeStatus(command: Parameters<OrderCommands['changeStatus']>[0]) {
    return this.apply(command);
  }
  async changeStatusAsync(command: Parameters<OrderCommands['changeStatus']>[0]) {
    return this.applyLater(command);
  }
  async cancel(command: Parameters<OrderCommands['cancel']>[0]) {
    return this.apply(command);
  }
  async cancelAsync(command: Parameters<OrderCommands['cancel']>[0]) {
    return this.applyLater(command);
  }
  async read(orderId: string) {
    const state = this.orders.get(orderId)?.state;
    return state ? snapshot(state) : undefined;
  }
  async outcome(orderId: string, commandId: string) {
    return this.orders.get(orderId)?.outcomes.get(commandId);
  }
}

/** Cents as the exact amount the ClickHouse read models answer with. */
const amount = (cents: number) => exactAmount(toDecimalString(cents));

/** Read models as plain lists of the latest state of each order, and the event log as a list of events. */
export class InMemoryReadModels implements ReadModels {
  readonly states = new Map<string, OrderState>();
  readonly events: OrderEvent[] = [];

  keep(state: OrderState, events: OrderEvent[]): void {
    this.states.set(state.orderId, state);
    this.events.push(...events);
  }

  /** Every order now, or as its events up to `asOf` leave it (folded here with the domain's evolve). */
  private statesAt(asOf?: Date): OrderState[] {
    if (!asOf) return this.sorted();
    return this.sorted()
      .map((state) => stateAfter(this.eventsOf(state.orderId, { asOf })))
      .filter((state): state is OrderState => state !== undefined);
  }

  private eventsOf(orderId: string, range: EventRange = {}): OrderEvent[] {
    return this.events
      .filter((event) => event.orderId === orderId && event.version > (range.afterVersion ?? 0))
      .filter((event) => !range.asOf || Date.parse(event.occurredAt) <= range.asOf.getTime())
      .sort((a, b) => a.version - b.version);
  }

  private view(state: OrderState): OrderView {
    const { items: _items, ...order } = snapshot(state);
    return order;
  }

  private sorted(): OrderState[] {
    return [...this.states.values()].sort((a, b) => (a.orderId < b.orderId ? -1 : 1));
  }

  async orderById(orderId: string) {
    const state = this.states.get(orderId);
    return state ? this.view(state) : undefined;
  }
  async reachedEverywhere(view: OrderView, version: number) {
    return (this.states.get(view.orderId)?.version ?? 0) >= version;
  }
  async listOrders(filter: Parameters<ReadModels['listOrders']>[0]) {
    const found = this.sorted().filter(
      (state) =>
        state.orderId > (filter.after ?? '') &&
        (filter.status === undefined || state.status === filter.status) &&
        (filter.customerId === undefined || state.customerId === filter.customerId),
    );
    const page = found.slice(0, filter.limit).map((state) => this.view(state));
    return { orders: page, nextCursor: found.length > filter.limit ? encodeCursor(page[page.length - 1].orderId) : null };
  }
  async orderEvents(orderId: string, range?: EventRange) {
    return this.eventsOf(orderId, range).slice(0, range?.limit);
  }
  private within(from: Date, to: Date, asOf?: Date): OrderState[] {
    return this.statesAt(asOf).filter((state) => Date.parse(state.createdAt) >= from.getTime() && Date.parse(state.createdAt) < to.getTime());
  }
  async orderStatistics(from: Date, to: Date, asOf?: Date) {
    const orders = this.within(from, to, asOf);
    const cents = (list: OrderState[]) => list.reduce((sum, state) => sum + state.totalCents, 0);
    const ordersByStatus = Object.fromEntries(ORDER_STATUSES.map((status) => [status, orders.filter((o) => o.status === status).length])) as Record<
      OrderStatus,
      number
    >;
    return {
      from: from.toISOString(),
      to: to.toISOString(),
      ...(asOf ? { asOf: asOf.toISOString() } : {}),
      totalOrders: orders.length,
      totalRevenue: amount(cents(orders)),
      netRevenue: amount(cents(orders.filter((o) => o.status !== 'CANCELLED'))),
      averageOrderValue: averageAmount(amount(cents(orders)), orders.length),
      ordersByStatus,
    };
  }
  async lastCustomerName(customerId: string) {
    return [...this.states.values()].filter((state) => state.customerId === customerId && state.customerNameGiven).at(-1)?.customerName;
  }
  async revenueSeries(from: Date, to: Date, granularity: Parameters<ReadModels['revenueSeries']>[2], asOf?: Date) {
    const starts = bucketStarts(from, to, granularity);
    const cents = (list: OrderState[]) => list.reduce((sum, state) => sum + state.totalCents, 0);
    return {
      from: from.toISOString(),
      to: to.toISOString(),
      ...(asOf ? { asOf: asOf.toISOString() } : {}),
      granularity,
      buckets: starts.map((start, index) => {
        const orders = this.within(new Date(Math.max(start.getTime(), from.getTime())), starts[index + 1] ?? to, asOf);
        const kept = orders.filter((o) => o.status !== 'CANCELLED');
        return {
          start: start.toISOString(),
          orders: orders.length,
          cancelledOrders: orders.length - kept.length,
          totalRevenue: amount(cents(orders)),
          netRevenue: amount(cents(kept)),
        };
      }),
    };
  }
  async topProducts() {
    return [];
  }
  async recentOrders(limit: number) {
    return this.sorted()
      .slice(0, limit)
      .map((state) => this.view(state));
  }
  async runAnalystSql() {
    return { columns: [{ name: 'one', type: 'UInt8' }], rows: [{ one: 1 }], rowCount: 1, statistics: { elapsedSeconds: 0, rowsRead: 1, bytesRead: 1 } };
  }
}

export interface InMemoryApi {
  url: string;
  orders: InMemoryOrders;
  readModels: InMemoryReadModels;
  /** How many requests reached the server so far. */
  requests(): number;
  stop(): Promise<void>;
}

/** The whole HTTP API on a free port of this process, over in-memory ports; `call` sends the admin key. */
export async function startInMemoryApi(overrides: Partial<AppDeps> = {}): Promise<InMemoryApi> {
  const now = overrides.now ?? (() => new Date());
  const readModels = new InMemoryReadModels();
  const orders = new InMemoryOrders((state, events) => readModels.keep(state, events), now);
  const app = createApp({
    log: silentLogger(),
    gateway: orders,
    readModels,
    readiness: async () => ({ ready: true, checks: { temporal: 'ok', clickhouse: 'ok' } }),
    admin: {
      rebuild: async (onProgress) => {
        onProgress({ slice: 1, slices: 1 } as never);
        return { events: orders.events.length } as never;
      },
      // Orders in memory are never refused by an event log: nothing waits for a redelivery.
      redeliver: async () => ({ asked: [], failed: [], remaining: 0 }),
    },
    auth: {
      keys: [
        { secret: TEST_KEYS.admin, role: 'admin' },
        { secret: TEST_KEYS.write, role: 'write' },
        { secret: TEST_KEYS.read, role: 'read' },
      ],
      rateLimitRps: 0,
      adminRateLimitRps: 0,
      authFailuresPerMinute: 0,
    },
    now,
    minVersionWaitMs: 200,
    ...overrides,
  });
  const server = http.createServer(app.callback());
  server.on('clientError', answerClientError);
  let requests = 0;
  server.on('request', () => (requests += 1));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  useApiKey(url, TEST_KEYS.admin);
  return {
    url,
    orders,
    readModels,
    requests: () => requests,
    stop: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
