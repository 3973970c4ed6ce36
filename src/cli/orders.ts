/**
 * `npm run orders -- <command> …`: the order API from a terminal. Input is checked against the
 * API's own route declarations (same messages, before anything is sent); the answer is printed for
 * people, or as the API's JSON with --json. Exit status: 0 done, 1 refused by the service, 2 bad
 * usage or input.
 */
import { parseArgs } from 'node:util';
import { cancelOrder, changeOrderStatus, createOrder, getOrder, listOrderEvents, listOrders, orderStatistics } from '../api/orderRoutes';
import { readRequest } from '../api/request';
import { DomainError } from '../domain/errors';
import { ORDER_STATUSES } from '../domain/order';
import { apiTarget, authorization } from './apiClient';
import type { OrderItem, OrderSnapshot, OrderStatus } from '../domain/order';
import type { OrderPage, OrderStatisticsAnswer } from '../api/ports';

const USAGE = `usage: npm run orders -- <command> [options] [--json]

  create   --order <id> --customer <id> [--name <name>] --item <productId>:<quantity>:<price> [--item …]
  status   <orderId> <${ORDER_STATUSES.join('|')}> [--reason <text>]
  cancel   <orderId> --reason <text>
  get      <orderId> [--strong]
  history  <orderId> [--as-of <time>]   the order and its events (as it stood at <time>)
  list     [--status <status>] [--customer <id>] [--limit <n>] [--cursor <cursor>]
  stats    [--from <date>] [--to <date>] [--as-of <time>]

  --json             print the API's answer as JSON
  --key <secret>     API key (default: ORDERS_API_KEY, else the key in DATA_DIR/api-key)
  --url <url>        the service (default: ORDERS_API_URL, else http://localhost:$PORT)
  --idempotency-key  for commands: send again with the same key to never apply twice`;

const OPTIONS = {
  json: { type: 'boolean' },
  key: { type: 'string' },
  url: { type: 'string' },
  'idempotency-key': { type: 'string' },
  order: { type: 'string' },
  customer: { type: 'string' },
  name: { type: 'string' },
  item: { type: 'string', multiple: true },
  reason: { type: 'string' },
  strong: { type: 'boolean' },
  status: { type: 'string' },
  limit: { type: 'string' },
  cursor: { type: 'string' },
  from: { type: 'string' },
  to: { type: 'string' },
  'as-of': { type: 'string' },
  help: { type: 'boolean', short: 'h' },
} as const;

type Options = ReturnType<typeof parseArgs<{ options: typeof OPTIONS; allowPositionals: true }>>['values'];

class UsageError extends Error {}

interface Answer {
  status: number;
  body: unknown;
}

/** What a command got back, and how to print it for people. */
interface Shown {
  answer: Answer;
  print: (body: unknown) => string[];
}

/** One command: its arguments and options in, a request checked and sent, its answer out. */
interface Invocation {
  args: string[];
  options: Options;
  send: (method: string, route: string, body?: unknown) => Promise<Answer>;
  /** `what` of the command, or a usage error naming it. */
  need: (value: string | undefined, what: string) => string;
  commandHeaders: Record<string, string>;
}

type ShownOrder = Omit<OrderSnapshot, 'items'> & { items?: OrderSnapshot['items'] };

export interface CliIo {
  out: (line: string) => void;
  err: (line: string) => void;
  env: Record<string, string | undefined>;
}

const money = (amount: number) => amount.toFixed(2);
const encode = encodeURIComponent;

function describeOrder(order: ShownOrder): string[] {
  const lines = [
    `${order.orderId}  ${order.status}  ${money(order.total)}  (version ${order.version})`,
    `  customer  ${order.customerName} (${order.customerId})`,
    `  created   ${order.createdAt}   updated ${order.updatedAt}`,
  ];
  for (const item of order.items ?? []) lines.push(`  - ${item.quantity} × ${item.productName ?? item.productId} at ${money(item.price)}`);
  if (!order.items) lines.push(`  ${order.itemCount} line${order.itemCount === 1 ? '' : 's'}`);
  return lines;
}

/** An event as GET /orders/:orderId/events answers it. */
interface ShownEvent {
  type: string;
  version: number;
  occurredAt: string;
  commandId: string;
  data: Record<string, unknown>;
}

/** What an event changed, in a few words. */
function describeChange({ type, data }: ShownEvent): string {
  if (type === 'OrderCreated') {
    const items = data.items as OrderItem[];
    return `created: ${items.length} line${items.length === 1 ? '' : 's'}, ${money(data.total as number)}, for ${String(data.customerName)} (${String(data.customerId)})`;
  }
  if (type === 'OrderStatusChanged') return `${data.oldStatus as OrderStatus} → ${data.newStatus as OrderStatus}`;
  if (type === 'OrderCancelled') return `${data.previousStatus as OrderStatus} → CANCELLED: ${String(data.reason)}`;
  return type;
}

/** `productId:quantity:price` → an item of the API's body (numbers as numbers; the validator judges them). */
function parseItem(text: string): Record<string, unknown> {
  const parts = text.split(':');
  if (parts.length !== 3) throw new UsageError(`--item ${text}: must be productId:quantity:price, e.g. prod-1:2:29.99`);
  const [productId, quantity, price] = parts;
  const number = (raw: string) => (raw.trim() !== '' && Number.isFinite(Number(raw)) ? Number(raw) : raw);
  return { productId, quantity: number(quantity), price: number(price) };
}

/** The query of a request from the options given, under the API's names. */
function queryOf(options: Options, names: Record<string, 'status' | 'limit' | 'cursor' | 'from' | 'to' | 'customer' | 'as-of'>): URLSearchParams {
  const query = new URLSearchParams();
  for (const [name, option] of Object.entries(names)) if (options[option] !== undefined) query.set(name, options[option]);
  return query;
}

const withQuery = (route: string, query: URLSearchParams) => (query.size > 0 ? `${route}?${query}` : route);

async function create({ options, send, need, commandHeaders }: Invocation): Promise<Shown> {
  const body: Record<string, unknown> = {
    orderId: need(options.order, '--order'),
    customerId: need(options.customer, '--customer'),
    items: (options.item ?? []).map(parseItem),
  };
  if (options.name !== undefined) body.customerName = options.name;
  readRequest(createOrder, { headers: commandHeaders, body });
  return { answer: await send('POST', '/orders', body), print: (order) => ['created', ...describeOrder(order as ShownOrder)] };
}

async function status({ args, options, send, need, commandHeaders }: Invocation): Promise<Shown> {
  const orderId = need(args[0], 'the order id');
  const body: Record<string, unknown> = { status: need(args[1], 'the new status') };
  if (options.reason !== undefined) body.reason = options.reason;
  readRequest(changeOrderStatus, { params: { orderId }, headers: commandHeaders, body });
  return {
    answer: await send('POST', `/orders/${encode(orderId)}/status`, body),
    print: (order) => [`now ${(order as ShownOrder).status}`, ...describeOrder(order as ShownOrder)],
  };
}

async function cancel({ args, options, send, need, commandHeaders }: Invocation): Promise<Shown> {
  const orderId = need(args[0], 'the order id');
  const body = { reason: options.reason };
  readRequest(cancelOrder, { params: { orderId }, headers: commandHeaders, body });
  return { answer: await send('POST', `/orders/${encode(orderId)}/cancel`, body), print: (order) => ['cancelled', ...describeOrder(order as ShownOrder)] };
}

async function get({ args, options, send, need }: Invocation): Promise<Shown> {
  const orderId = need(args[0], 'the order id');
  const query = new URLSearchParams(options.strong ? { consistency: 'strong' } : {});
  readRequest(getOrder, { params: { orderId }, query: Object.fromEntries(query) });
  return { answer: await send('GET', withQuery(`/orders/${encode(orderId)}`, query)), print: (order) => describeOrder(order as ShownOrder) };
}

/** The order (as it stood at --as-of) and every one of its events up to then, page by page. */
async function history({ args, options, send, need }: Invocation): Promise<Shown> {
  const orderId = need(args[0], 'the order id');
  const asOf = queryOf(options, { asOf: 'as-of' });
  readRequest(getOrder, { params: { orderId }, query: Object.fromEntries(asOf) });
  readRequest(listOrderEvents, { params: { orderId }, query: Object.fromEntries(asOf) });
  const order = await send('GET', withQuery(`/orders/${encode(orderId)}`, asOf));
  if (order.status >= 400) return { answer: order, print: () => [] };
  const events: ShownEvent[] = [];
  for (let cursor: string | null = ''; cursor !== null;) {
    const query = new URLSearchParams(asOf);
    query.set('limit', '200');
    if (cursor) query.set('cursor', cursor);
    const page = await send('GET', withQuery(`/orders/${encode(orderId)}/events`, query));
    if (page.status >= 400) return { answer: page, print: () => [] };
    const { events: more, nextCursor } = page.body as { events: ShownEvent[]; nextCursor: string | null };
    events.push(...more);
    cursor = nextCursor;
  }
  const print = () => [
    ...(options['as-of'] ? [`as of ${options['as-of']}`] : []),
    ...describeOrder(order.body as ShownOrder),
    'events',
    ...events.map((event) => `  ${event.occurredAt}  v${event.version}  ${event.type.padEnd(18)}  ${describeChange(event)}  (command ${event.commandId})`),
  ];
  return { answer: { status: 200, body: { order: order.body, events } }, print };
}

async function list({ options, send }: Invocation): Promise<Shown> {
  const query = queryOf(options, { status: 'status', limit: 'limit', cursor: 'cursor', customerId: 'customer' });
  readRequest(listOrders, { query: Object.fromEntries(query) });
  const print = (body: unknown) => {
    const page = body as OrderPage;
    const rows = page.orders.map((o) => `${o.orderId.padEnd(24)} ${o.status.padEnd(10)} ${money(o.total).padStart(12)}  ${o.customerId}`);
    return [...(rows.length === 0 ? ['(no orders)'] : rows), ...(page.nextCursor ? [`more: --cursor ${page.nextCursor}`] : [])];
  };
  return { answer: await send('GET', withQuery('/orders', query)), print };
}

async function stats({ options, send }: Invocation): Promise<Shown> {
  const query = queryOf(options, { from: 'from', to: 'to', asOf: 'as-of' });
  readRequest(orderStatistics, { query: Object.fromEntries(query) });
  const print = (body: unknown) => {
    const figures = body as OrderStatisticsAnswer;
    return [
      `orders created ${figures.from} – ${figures.to}${figures.asOf ? `, as of ${figures.asOf}` : ''}`,
      `  orders              ${figures.totalOrders}`,
      `  total revenue       ${money(figures.totalRevenue)}`,
      `  net revenue         ${money(figures.netRevenue)}`,
      `  average order value ${money(figures.averageOrderValue)}`,
      ...Object.entries(figures.ordersByStatus).map(([name, count]) => `  ${name.padEnd(19)} ${count}`),
    ];
  };
  return { answer: await send('GET', withQuery('/stats/orders', query)), print };
}

const COMMANDS: Record<string, (invocation: Invocation) => Promise<Shown>> = { create, status, cancel, get, history, list, stats };

/** Sends requests to the service the options and environment name, with its key. */
function sender(options: Options, env: CliIo['env']): Invocation['send'] {
  const target = apiTarget(env);
  if (options.url) target.base = options.url.replace(/\/$/, '');
  if (options.key) target.key = options.key;
  return async (method, route, body) => {
    const headers: Record<string, string> = { ...authorization(target) };
    if (body !== undefined) headers['content-type'] = 'application/json';
    if (options['idempotency-key'] && method === 'POST') headers['idempotency-key'] = options['idempotency-key'];
    let response: Response;
    try {
      response = await fetch(`${target.base}${route}`, {
        method,
        headers,
        body: body === undefined ? undefined : JSON.stringify(body),
        signal: AbortSignal.timeout(30_000),
      });
    } catch (error) {
      throw new Error(`cannot reach the service at ${target.base} (${(error as Error).cause ?? (error as Error).message}); is it running? (npm start)`, {
        cause: error,
      });
    }
    const text = await response.text();
    return { status: response.status, body: text ? JSON.parse(text) : undefined };
  };
}

/** Prints what the service answered; the exit status. */
function report({ answer, print }: Shown, json: boolean | undefined, io: CliIo): number {
  if (answer.status >= 400) {
    const problem = answer.body as { code?: string; detail?: string } | undefined;
    if (json) io.out(JSON.stringify(answer.body, null, 2));
    else io.err(`${answer.status} ${problem?.code ?? ''}: ${problem?.detail ?? JSON.stringify(answer.body)}`);
    return 1;
  }
  for (const line of json ? [JSON.stringify(answer.body, null, 2)] : print(answer.body)) io.out(line);
  return 0;
}

export async function runOrdersCli(argv: string[], io: CliIo): Promise<number> {
  let parsed;
  try {
    parsed = parseArgs({ args: argv, allowPositionals: true, options: OPTIONS });
  } catch (error) {
    io.err(`${(error as Error).message}\n\n${USAGE}`);
    return 2;
  }
  const { values: options, positionals } = parsed;
  const [command, ...args] = positionals;
  if (options.help || !command) {
    (options.help ? io.out : io.err)(USAGE);
    return options.help ? 0 : 2;
  }
  const need = (value: string | undefined, what: string): string => {
    if (value === undefined) throw new UsageError(`${command}: ${what} is required`);
    return value;
  };
  const commandHeaders: Record<string, string> = options['idempotency-key'] === undefined ? {} : { 'idempotency-key': options['idempotency-key'] };
  try {
    const run = Object.hasOwn(COMMANDS, command) ? COMMANDS[command] : undefined;
    if (!run) throw new UsageError(`unknown command ${JSON.stringify(command)}`);
    return report(await run({ args, options, send: sender(options, io.env), need, commandHeaders }), options.json, io);
  } catch (error) {
    if (error instanceof UsageError) {
      io.err(`${error.message}\n\n${USAGE}`);
      return 2;
    }
    if (error instanceof DomainError) {
      // The API's own message for the same input, without a round trip.
      io.err(`${error.code}: ${error.message}`);
      return 2;
    }
    io.err((error as Error).message);
    return 1;
  }
}

if (require.main === module) {
  runOrdersCli(process.argv.slice(2), { out: (line) => console.log(line), err: (line) => console.error(line), env: process.env }).then(
    (code) => process.exit(code),
    (error: unknown) => {
      console.error(error);
      process.exit(1);
    },
  );
}
