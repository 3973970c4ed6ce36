/**
 * A steady stream of commands, as a careful client sends them, and the invariants every fault test
 * checks afterwards.
 *
 * Each lane walks orders through the state machine one command at a time. A command whose outcome
 * is unknown (a 5xx, a refused connection, a timeout) is sent again with the same Idempotency-Key
 * until it gets a definite answer, so the ledger knows exactly which commands were acknowledged.
 */
import { randomUUID } from 'node:crypto';
import type { ClickHouseClient } from '@clickhouse/client';
import { call } from './http';

export interface LedgerEntry {
  orderId: string;
  totalCents: number;
  /** The status each acknowledged command left the order in, in order. */
  acknowledged: string[];
}

export interface LoadFigures {
  sent: number;
  acknowledged: number;
  /** Sends repeated after an unknown outcome (same Idempotency-Key). */
  resent: number;
  /** Definite refusals of commands the state machine allows: always a defect. */
  unexpected: string[];
  /** Orders whose command got no definite answer in time. */
  stuck: string[];
}

const PATHS: string[][] = [
  [],
  ['CONFIRMED'],
  ['CONFIRMED', 'SHIPPED'],
  ['CONFIRMED', 'SHIPPED', 'DELIVERED'],
  ['CONFIRMED', 'SHIPPED', 'DELIVERED'],
  ['CANCELLED'],
  ['CONFIRMED', 'CANCELLED'],
];

export interface LoadOptions {
  lanes: number;
  /** Prefix of every order id, so that runs never collide. */
  prefix?: string;
  /** How long one command may stay unanswered, resends included, before the load gives up. */
  commandDeadlineMs?: number;
}

export class CommandLoad {
  readonly ledger = new Map<string, LedgerEntry>();
  readonly figures: LoadFigures = { sent: 0, acknowledged: 0, resent: 0, unexpected: [], stuck: [] };
  private stopping = false;
  private readonly lanes: Promise<void>[] = [];
  private readonly prefix: string;

  constructor(
    private readonly apiUrl: () => string,
    private readonly options: LoadOptions,
  ) {
    this.prefix = options.prefix ?? `load-${randomUUID().slice(0, 6)}`;
  }

  start(): this {
    for (let lane = 0; lane < this.options.lanes; lane += 1) this.lanes.push(this.runLane(lane));
    return this;
  }

  /** Waits until at least `count` more commands have been acknowledged (bounded). */
  async progress(count: number, timeoutMs = 60_000): Promise<void> {
    const target = this.figures.acknowledged + count;
    const deadline = Date.now() + timeoutMs;
    while (this.figures.acknowledged < target) {
      if (Date.now() > deadline) throw new Error(`the load acknowledged only ${this.figures.acknowledged} of ${target} commands in ${timeoutMs} ms`);
      await sleep(50);
    }
  }

  /** Counts an order a test drove itself, each of its commands acknowledged, as if a lane had: the checks afterwards see every order. */
  adopt(entry: LedgerEntry): void {
    this.ledger.set(entry.orderId, entry);
    this.figures.sent += entry.acknowledged.length;
    this.figures.acknowledged += entry.acknowledged.length;
  }

  /** Lets every lane finish the command it is on, then stops. */
  async stop(): Promise<void> {
    this.stopping = true;
    await Promise.all(this.lanes);
  }

  private async runLane(lane: number): Promise<void> {
    for (let n = 0; !this.stopping; n += 1) {
      const orderId = `${this.prefix}-${lane}-${n}`;
      const quantity = 1 + (n % 3);
      const priceCents = 100 + ((lane * 7919 + n * 104_729) % 99_900);
      const entry: LedgerEntry = { orderId, totalCents: quantity * priceCents, acknowledged: [] };
      this.ledger.set(orderId, entry);
      const body = { orderId, customerId: `${this.prefix}-customer-${n % 5}`, items: [{ productId: `p-${n % 4}`, quantity, price: priceCents / 100 }] };
      if (!(await this.send(entry, '/orders', body, 'PENDING'))) continue;
      for (const status of PATHS[(lane + n) % PATHS.length]) {
        if (this.stopping) break;
        const sent =
          status === 'CANCELLED'
            ? await this.send(entry, `/orders/${orderId}/cancel`, { reason: 'changed my mind' }, status)
            : await this.send(entry, `/orders/${orderId}/status`, { status }, status);
        if (!sent) break;
      }
    }
  }

  private async send(entry: LedgerEntry, route: string, json: unknown, status: string): Promise<boolean> {
    const key = randomUUID();
    const deadline = Date.now() + (this.options.commandDeadlineMs ?? 120_000);
    this.figures.sent += 1;
    for (let attempt = 0; ; attempt += 1) {
      if (attempt > 0) this.figures.resent += 1;
      let reply: { status: number; body: any } | undefined;
      try {
        reply = await call(this.apiUrl(), 'POST', route, { json, headers: { 'idempotency-key': key } });
      } catch {
        reply = undefined; // refused or timed out: the outcome is unknown
      }
      if (reply && reply.status >= 200 && reply.status < 300) {
        entry.acknowledged.push(status);
        this.figures.acknowledged += 1;
        return true;
      }
      if (reply && reply.status >= 400 && reply.status < 500 && reply.status !== 429) {
        this.figures.unexpected.push(`${route} → ${reply.status} ${JSON.stringify(reply.body)}`);
        return false;
      }
      if (Date.now() > deadline) {
        this.figures.stuck.push(entry.orderId);
        throw new Error(
          `${route} (Idempotency-Key ${key}) got no definite answer in ${this.options.commandDeadlineMs ?? 120_000} ms (last: ${reply ? `${reply.status} ${JSON.stringify(reply.body)}` : 'no reply'})`,
        );
      }
      await sleep(200);
    }
  }
}

export interface InvariantReport {
  orders: number;
  acknowledged: number;
  /** Acknowledged commands missing from the write model. */
  lost: number;
  /** Events beyond the acknowledged ones, or two events with one version. */
  doubled: number;
  /** Rows of the log that repeat an event already there (a retried append), merged away by its engine. */
  repeatedRows: number;
  problems: string[];
}

/**
 * Reads the event log directly: the invariants are about what is stored, not what the API says.
 * It is called only after every check through the API, so a caller may stop the service first
 * to open its embedded database.
 */
export type LogQuery = <T>(sql: string, params?: Record<string, unknown>) => Promise<T[]>;

/** The log read through a ClickHouse client, as checkInvariants reads it. */
export function logQueryThrough(client: ClickHouseClient): LogQuery {
  return async <T>(query: string, params?: Record<string, unknown>) => (await client.query({ query, query_params: params, format: 'JSONEachRow' })).json<T>();
}

/**
 * Checks, for every order of the ledger: its write model holds exactly the acknowledged commands;
 * its read model converges to the write model; its log has versions 1..n, one event each, and no
 * event id twice; and the statistics over the load's orders equal a recount from the ledger.
 */
export async function checkInvariants(
  apiUrl: string,
  ledger: Map<string, LedgerEntry>,
  queryLog: LogQuery,
  options: { database: string; convergeMs?: number },
): Promise<InvariantReport> {
  const entries = [...ledger.values()].filter((entry) => entry.acknowledged.length > 0);
  const report: InvariantReport = { orders: entries.length, acknowledged: 0, lost: 0, doubled: 0, repeatedRows: 0, problems: [] };

  for (const entry of entries) {
    const expected = { status: entry.acknowledged.at(-1), version: entry.acknowledged.length };
    report.acknowledged += expected.version;
    const strong = await call(apiUrl, 'GET', `/orders/${entry.orderId}?consistency=strong`);
    const version: number = strong.status === 200 ? strong.body.version : 0;
    if (version < expected.version) report.lost += expected.version - version;
    if (version > expected.version) report.doubled += version - expected.version;
    if (strong.status !== 200 || strong.body.status !== expected.status || version !== expected.version) {
      report.problems.push(`${entry.orderId}: write model ${strong.status} ${JSON.stringify(strong.body)}, acknowledged ${JSON.stringify(expected)}`);
    }
  }

  const deadline = Date.now() + (options.convergeMs ?? 60_000);
  for (const entry of entries) {
    const expected = { status: entry.acknowledged.at(-1), version: entry.acknowledged.length };
    let seen: any;
    do {
      seen = (await call(apiUrl, 'GET', `/orders/${entry.orderId}?minVersion=${expected.version}`)).body;
    } while ((seen?.version ?? 0) < expected.version && Date.now() < deadline);
    if (seen?.version !== expected.version || seen?.status !== expected.status) {
      report.problems.push(
        `${entry.orderId}: read model ${JSON.stringify({ status: seen?.status, version: seen?.version })} never reached ${JSON.stringify(expected)}`,
      );
    }
  }

  // Every order of the load was created during the test, on a stack of its own, so a window
  // around now holds them all and nothing else.
  const from = new Date(Date.now() - 6 * 3600_000).toISOString();
  const to = new Date(Date.now() + 3600_000).toISOString();
  const stats = (await call(apiUrl, 'GET', `/stats/orders?from=${from}&to=${to}`)).body;
  const byStatus: Record<string, number> = {};
  let totalCents = 0;
  let netCents = 0;
  for (const entry of entries) {
    const status = entry.acknowledged.at(-1)!;
    byStatus[status] = (byStatus[status] ?? 0) + 1;
    totalCents += entry.totalCents;
    if (status !== 'CANCELLED') netCents += entry.totalCents;
  }
  const recount = { totalOrders: entries.length, totalRevenueCents: totalCents, netRevenueCents: netCents, ordersByStatus: byStatus };
  const answered = {
    totalOrders: stats.totalOrders,
    totalRevenueCents: Math.round(stats.totalRevenue * 100),
    netRevenueCents: Math.round(stats.netRevenue * 100),
    ordersByStatus: Object.fromEntries(Object.entries(stats.ordersByStatus ?? {}).filter(([, count]) => count !== 0)),
  };
  if (JSON.stringify(sortKeys(answered)) !== JSON.stringify(sortKeys(recount))) {
    report.problems.push(`statistics ${JSON.stringify(answered)} differ from the recount ${JSON.stringify(recount)}`);
  }

  const ids = entries.map((entry) => entry.orderId);
  const db = options.database;
  const versions = await queryLog<{ order_id: string; version: number; event_ids: number; copies: number }>(
    `SELECT order_id, version, uniqExact(event_id) AS event_ids, count() AS copies FROM ${db}.order_events WHERE order_id IN {ids:Array(String)} GROUP BY order_id, version ORDER BY order_id, version`,
    { ids },
  );
  const logged = new Map<string, number[]>();
  for (const row of versions) {
    const list = logged.get(row.order_id) ?? [];
    list.push(Number(row.version));
    logged.set(row.order_id, list);
    if (Number(row.event_ids) > 1) {
      report.doubled += Number(row.event_ids) - 1;
      report.problems.push(`${row.order_id}: ${row.event_ids} different events with version ${row.version}`);
    }
    report.repeatedRows += Number(row.copies) - Number(row.event_ids);
  }
  for (const entry of entries) {
    const want = Array.from({ length: entry.acknowledged.length }, (_, i) => i + 1);
    const got = logged.get(entry.orderId) ?? [];
    if (got.join() !== want.join()) report.problems.push(`${entry.orderId}: log versions [${got.join()}], acknowledged [${want.join()}]`);
  }
  const repeatedIds = await queryLog<{ event_id: string }>(
    `SELECT event_id FROM ${db}.order_events FINAL WHERE order_id IN {ids:Array(String)} GROUP BY event_id HAVING count() > 1 LIMIT 10`,
    { ids },
  );
  for (const row of repeatedIds) report.problems.push(`event ${row.event_id} appears twice in the log`);
  return report;
}

function sortKeys(value: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(
    Object.entries(value)
      .sort(([a], [b]) => a.localeCompare(b))
      .map(([key, inner]) => [key, inner && typeof inner === 'object' ? sortKeys(inner as Record<string, unknown>) : inner]),
  );
}

/**
 * What every fault run must end with: it prints what it proved (`describeRun`, then `detail`), and
 * no command the state machine allows was refused, no invariant broke, nothing was lost or doubled.
 */
export function expectNothingLostOrDoubled(name: string, figures: LoadFigures, report: InvariantReport, faults: number, detail = ''): void {
  console.log(describeRun(name, figures, report, faults) + detail);
  expect(figures.unexpected).toEqual([]);
  expect(report.problems).toEqual([]);
  expect({ lost: report.lost, doubled: report.doubled }).toEqual({ lost: 0, doubled: 0 });
}

/** The line a fault test prints, so a run shows what it proved. */
function describeRun(name: string, figures: LoadFigures, report: InvariantReport, crashes: number): string {
  return (
    `${name}: ${figures.sent} commands sent, ${report.acknowledged} acknowledged over ${report.orders} orders, ` +
    `${figures.resent} resent after an unknown outcome, ${crashes} faults injected; lost ${report.lost}, doubled ${report.doubled} ` +
    `(${report.repeatedRows} repeated log rows merged away)`
  );
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
