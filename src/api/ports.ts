/**
 * What the API needs from the rest of the service, and nothing more: the write model (commands and
 * strong reads, through Temporal) and the read models (queries, on ClickHouse), with the shapes
 * they answer in. The service plugs in the real ones, which implement these
 * (src/temporal/orderGateway.ts, src/clickhouse/readModels.ts); the unit tests plug in stand-ins
 * kept in memory.
 */
import type { ExactAmount } from '../domain/money';
import type { CancelOrder, ChangeOrderStatus, CreateOrder, OrderEvent, OrderSnapshot, OrderStatus } from '../domain/order';
import type { CommandOutcome } from '../../workflows/messages';

export interface AcceptedCommand {
  commandId: string;
  orderId: string;
}

/** The write model: each order's workflow. */
export interface OrderCommands {
  create(command: CreateOrder): Promise<OrderSnapshot>;
  createAsync(command: CreateOrder): Promise<AcceptedCommand>;
  changeStatus(command: ChangeOrderStatus): Promise<OrderSnapshot>;
  changeStatusAsync(command: ChangeOrderStatus): Promise<AcceptedCommand>;
  cancel(command: CancelOrder): Promise<OrderSnapshot>;
  cancelAsync(command: CancelOrder): Promise<AcceptedCommand>;
  /** The order as its workflow holds it (a strongly consistent read), or undefined. */
  read(orderId: string): Promise<OrderSnapshot | undefined>;
  /** What became of a command sent to an order, or undefined if the order has not seen it. */
  outcome(orderId: string, commandId: string): Promise<CommandOutcome | undefined>;
}

/** An order as the read model shows it (README.md, "The API"): the write model's order without its items. */
export type OrderView = Omit<OrderSnapshot, 'items'>;

export interface OrderListFilter {
  status?: OrderStatus;
  customerId?: string;
  limit: number;
  /** The last orderId of the previous page. */
  after?: string;
}

export interface OrderPage {
  orders: OrderView[];
  /** Pass as `cursor` to get the next page; null on the last page. */
  nextCursor: string | null;
}

export interface OrderStatistics {
  from: string;
  to: string;
  /** The instant whose statuses were counted, when one was asked for (otherwise now). */
  asOf?: string;
  totalOrders: number;
  totalRevenue: ExactAmount;
  netRevenue: ExactAmount;
  averageOrderValue: ExactAmount;
  ordersByStatus: Record<OrderStatus, number>;
}

/** OrderStatistics as a client reads the JSON answer: its amounts parsed as JSON numbers. */
export type OrderStatisticsAnswer = Omit<OrderStatistics, 'totalRevenue' | 'netRevenue' | 'averageOrderValue'> &
  Record<'totalRevenue' | 'netRevenue' | 'averageOrderValue', number>;

/** Which of an order's events to read. */
export interface EventRange {
  /** Only the events after this version (0: from the first). */
  afterVersion?: number;
  /** Only the events that had occurred by this instant (included). */
  asOf?: Date;
  /** At most this many (all of them when unset). */
  limit?: number;
}

export type Granularity = 'hour' | 'day' | 'month';

export interface RevenueBucket {
  /** Start of the bucket, UTC. */
  start: string;
  orders: number;
  cancelledOrders: number;
  totalRevenue: ExactAmount;
  netRevenue: ExactAmount;
}

export interface RevenueSeries {
  from: string;
  to: string;
  /** The instant whose statuses were counted, when one was asked for (otherwise now). */
  asOf?: string;
  granularity: Granularity;
  buckets: RevenueBucket[];
}

export interface ProductSales {
  productId: string;
  units: number;
  orders: number;
  revenue: ExactAmount;
}

export interface AnalystAnswer {
  columns: Array<{ name: string; type: string }>;
  /** Values as ClickHouse wrote them; numbers stay exact (LosslessNumber) until the JSON answer. */
  rows: Array<Record<string, unknown>>;
  rowCount: number;
  statistics: { elapsedSeconds: number; rowsRead: number; bytesRead: number };
}

/** The read models, fed by the event log. */
export interface ReadModels {
  orderById(orderId: string): Promise<OrderView | undefined>;
  /** Whether every other read model (lists, statistics) has this version of the order too. */
  reachedEverywhere(view: OrderView, version: number): Promise<boolean>;
  listOrders(filter: OrderListFilter): Promise<OrderPage>;
  /** An order's events in version order, as the event log holds them; none for an order it does not hold. */
  orderEvents(orderId: string, range?: EventRange): Promise<OrderEvent[]>;
  /** Statistics over orders created in [from, to), each with its status now, or as of `asOf`. */
  orderStatistics(from: Date, to: Date, asOf?: Date): Promise<OrderStatistics>;
  /** The name a customer last gave with an order, if any. */
  lastCustomerName(customerId: string): Promise<string | undefined>;
  /** Revenue per bucket of creation time over [from, to), each order with its status now, or as of `asOf`. */
  revenueSeries(from: Date, to: Date, granularity: Granularity, asOf?: Date): Promise<RevenueSeries>;
  topProducts(from: Date, to: Date, limit: number): Promise<ProductSales[]>;
  recentOrders(limit: number): Promise<OrderView[]>;
  /**
   * One analyst's statement, checked against what analysts may touch and run read-only
   * (src/clickhouse/analystSql.ts); `cancel` stops it when the client has gone.
   */
  runAnalystSql(sql: string, params: Record<string, unknown>, cancel?: AbortSignal): Promise<AnalystAnswer>;
}

/** Where a rebuild of the read models has got to. */
export interface RebuildProgress {
  table: string;
  slice: number;
  slices: number;
}

export interface RebuildSummary {
  events: number;
  tables: Record<string, number>;
  millis: number;
}

/** Refills the read models from the event log (in the process that holds the database). */
export type Rebuild = (onProgress: (progress: RebuildProgress) => void) => Promise<RebuildSummary>;

/** An event waiting for its redelivery. */
export interface WaitingEvent {
  orderId: string;
  eventId: string;
  version: number;
  reason: string;
  refusedAt: string;
}

/** What a redelivery of the events the event log refused did. */
export interface RedeliveryReport {
  /** The refused events whose orders were asked to deliver them again. */
  asked: WaitingEvent[];
  /** Orders that could not be asked (their workflow unreachable), with the reason. */
  failed: Array<{ orderId: string; error: string }>;
  /** Refused events left for a later call (beyond this call's share). */
  remaining: number;
}

/** Asks every order holding an event the event log refused to deliver it again. */
export type Redeliver = () => Promise<RedeliveryReport>;

export interface Readiness {
  ready: boolean;
  checks: Record<string, 'ok' | string>;
  /** What an operator should know that does not make the service unready. */
  detail?: {
    /** Events the event log refused, held in their orders' workflows until redelivered. */
    refusedEvents: { waiting: number; oldest: WaitingEvent[]; action: string };
  };
}
