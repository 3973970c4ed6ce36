/**
 * The read queries timed in-process, with no HTTP in between: the baseline that the same
 * requests through the API are compared with. They call the very functions the routes call.
 */
import type { ClickHouse } from '../../src/clickhouse/client';
import { listOrders, orderById, orderStatistics } from '../../src/clickhouse/orderQueries';
import type { OrderStatus } from '../../src/domain/order';

export interface QueryPlan {
  byId: string[];
  byCustomer: string[];
  statusPage: OrderStatus[];
  statsMonth: Array<[string, string]>;
  /** A month's statistics, each order as it stood at the instant given third. */
  statsMonthAsOf: Array<[string, string, string]>;
  statsYear: Array<[string, string]>;
}

export type QueryKind = keyof QueryPlan;

/** Milliseconds per call, in call order. */
export type QueryTimings = Record<QueryKind, number[]>;

export function runQuery(ch: ClickHouse, kind: QueryKind, parameter: QueryPlan[QueryKind][number]): Promise<unknown> {
  switch (kind) {
    case 'byId':
      return orderById(ch, parameter as string);
    case 'byCustomer':
      return listOrders(ch, { customerId: parameter as string, limit: 50 });
    case 'statusPage':
      return listOrders(ch, { status: parameter as OrderStatus, limit: 50 });
    case 'statsMonth':
    case 'statsMonthAsOf':
    case 'statsYear': {
      const [from, to, asOf] = parameter as [string, string, string?];
      return orderStatistics(ch, new Date(from), new Date(to), asOf === undefined ? undefined : new Date(asOf));
    }
    default: {
      const unknown: never = kind;
      throw new Error(`unknown query ${String(unknown)}`);
    }
  }
}

/** Times the queries a plan names (all of it, or some kinds only), in order. */
export async function timeQueriesDirectly(ch: ClickHouse, plan: Partial<QueryPlan>): Promise<Partial<QueryTimings>> {
  const timings: Partial<QueryTimings> = {};
  for (const kind of Object.keys(plan) as QueryKind[]) {
    const times: number[] = (timings[kind] = []);
    for (const parameter of plan[kind] ?? []) {
      const started = performance.now();
      await runQuery(ch, kind, parameter);
      times.push(performance.now() - started);
    }
  }
  return timings;
}
