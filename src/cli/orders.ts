/**
 * `npm run orders -- <command> …`: the order API from a terminal. Input is checked against the
 * API's own route declarations (same messages, before anything is sent); the answer is printed for
 * people, or as the API's JSON with --json. Exit status: 0 done, 1 refused by the service, 2 bad
 * usage or input.
 */
import { parseArgs } from 'node:util';
import { cancelOrder, changeOrderStatus, createOrder, getOrder, listOrders, orderStatistics } from '../api/orderRoutes';
import { readRequest } from '../api/request';
import { DomainError } from '../domain/errors';
import { ORDER_STATUSES } from '../domain/order';
import { apiTarget, authorization } from './apiClient';
import type { OrderSnapshot } from '../domain/order';
import type { OrderPage, OrderStatisticsAnswer } from '../clickhouse/orderQueries';

const USAGE = `usage: npm run orders -- <command> [options] [--json]

  create  --order <id> --customer <id> [--name <name>] --item <productId>:<quantity>:<price> [--item …]
  status  <orderId> <${ORDER_STATUSES.join('|')}> [--reason <text>]
  cancel  <orderId> --reason <text>
  get     <orderId> [--strong]
  list    [--status <status>] [--customer <id>] [--limit <n>] [--cursor <cursor>]
  stats   [--from <date>] [--to <date>]

  --json             print the API's answer as JSON
  --key <secret>     API key (default: ORDERS_API_KEY, else the key in DATA_DIR/api-key)
  --url <url>        the service (default: ORDERS_API_URL, else http://localhost:$PORT)
  --idempotency-key  for commands: send again with the same key to never apply twice`;

class UsageError extends Error {}

interface Answer {
  status: number;
  body: unknown;
}

type ShownOrder = Omit<OrderSnapshot, 'items'> & { items?: OrderSnapshot['items'] };

export interface CliIo {
  out: (line: string) => void;
  err: (line: string) => void;
  env: Record<string, string | undefined>;
}

const money = (amount: number) => amount.toFixed(2);

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

/** `productId:quantity:price` → an item of the API's body (numbers as numbers; the validator judges them). */
function parseItem(text: string): Record<string, unknown> {
  const parts = text.split(':');
  if (parts.length !== 3) throw new UsageError(`--item ${text}: must be productId:quantity:price, e.g. prod-1:2:29.99`);
  const [productId, quantity, price] = parts;
  const number = (raw: string) => (raw.trim() !== '' && Number.isFinite(Number(raw)) ? Number(raw) : raw);
  return { productId, quantity: number(quantity), price: number(price) };
}

export async function runOrdersCli(argv: string[], io: CliIo): Promise<number> {
  let parsed;
  try {
    parsed = parseArgs({
      args: argv,
      allowPositionals: true,
      options: {
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
        help: { type: 'boolean', short: 'h' },
      },
    });
  } catch (error) {
    io.err(`${(error as Error).message}\n\n${USAGE}`);
    return 2;
  }
  const { values: options, positionals } = parsed;
  const [command, ...rest] = positionals;
  if (options.help || !command) {
    (options.help ? io.out : io.err)(USAGE);
    return options.help ? 0 : 2;
  }

  const target = apiTarget(io.env);
  if (options.url) target.base = options.url.replace(/\/$/, '');
  if (options.key) target.key = options.key;
  const send = async (method: string, route: string, body?: unknown): Promise<Answer> => {
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
  const need = (value: string | undefined, what: string): string => {
    if (value === undefined) throw new UsageError(`${command}: ${what} is required`);
    return value;
  };
  const encode = encodeURIComponent;
  const commandHeaders = options['idempotency-key'] === undefined ? {} : { 'idempotency-key': options['idempotency-key'] };
  const given = (names: ReadonlyArray<'status' | 'limit' | 'cursor' | 'from' | 'to'>) =>
    Object.fromEntries(names.filter((name) => options[name] !== undefined).map((name) => [name, options[name]!]));

  try {
    let answer: Answer;
    let print: (body: unknown) => string[];
    switch (command) {
      case 'create': {
        const body: Record<string, unknown> = {
          orderId: need(options.order, '--order'),
          customerId: need(options.customer, '--customer'),
          items: (options.item ?? []).map(parseItem),
        };
        if (options.name !== undefined) body.customerName = options.name;
        readRequest(createOrder, { headers: commandHeaders, body });
        answer = await send('POST', '/orders', body);
        print = (order) => ['created', ...describeOrder(order as ShownOrder)];
        break;
      }
      case 'status': {
        const orderId = need(rest[0], 'the order id');
        const body: Record<string, unknown> = { status: need(rest[1], 'the new status') };
        if (options.reason !== undefined) body.reason = options.reason;
        readRequest(changeOrderStatus, { params: { orderId }, headers: commandHeaders, body });
        answer = await send('POST', `/orders/${encode(orderId)}/status`, body);
        print = (order) => [`now ${(order as ShownOrder).status}`, ...describeOrder(order as ShownOrder)];
        break;
      }
      case 'cancel': {
        const orderId = need(rest[0], 'the order id');
        const body = { reason: options.reason };
        readRequest(cancelOrder, { params: { orderId }, headers: commandHeaders, body });
        answer = await send('POST', `/orders/${encode(orderId)}/cancel`, body);
        print = (order) => ['cancelled', ...describeOrder(order as ShownOrder)];
        break;
      }
      case 'get': {
        const orderId = need(rest[0], 'the order id');
        const query: Record<string, string> = options.strong ? { consistency: 'strong' } : {};
        readRequest(getOrder, { params: { orderId }, query });
        answer = await send('GET', `/orders/${encode(orderId)}?${new URLSearchParams(query)}`.replace(/\?$/, ''));
        print = (order) => describeOrder(order as ShownOrder);
        break;
      }
      case 'list': {
        const query = new URLSearchParams({
          ...given(['status', 'limit', 'cursor']),
          ...(options.customer === undefined ? {} : { customerId: options.customer }),
        });
        readRequest(listOrders, { query: Object.fromEntries(query) });
        answer = await send('GET', `/orders${query.size > 0 ? `?${query}` : ''}`);
        print = (body) => {
          const page = body as OrderPage;
          const rows = page.orders.map((o) => `${o.orderId.padEnd(24)} ${o.status.padEnd(10)} ${money(o.total).padStart(12)}  ${o.customerId}`);
          return [...(rows.length === 0 ? ['(no orders)'] : rows), ...(page.nextCursor ? [`more: --cursor ${page.nextCursor}`] : [])];
        };
        break;
      }
      case 'stats': {
        const query = new URLSearchParams(given(['from', 'to']));
        readRequest(orderStatistics, { query: Object.fromEntries(query) });
        answer = await send('GET', `/stats/orders${query.size > 0 ? `?${query}` : ''}`);
        print = (body) => {
          const stats = body as OrderStatisticsAnswer;
          return [
            `orders created ${stats.from} – ${stats.to}`,
            `  orders              ${stats.totalOrders}`,
            `  total revenue       ${money(stats.totalRevenue)}`,
            `  net revenue         ${money(stats.netRevenue)}`,
            `  average order value ${money(stats.averageOrderValue)}`,
            ...Object.entries(stats.ordersByStatus).map(([status, count]) => `  ${status.padEnd(19)} ${count}`),
          ];
        };
        break;
      }
      default:
        throw new UsageError(`unknown command ${JSON.stringify(command)}`);
    }
    if (answer.status >= 400) {
      const problem = answer.body as { code?: string; detail?: string } | undefined;
      if (options.json) io.out(JSON.stringify(answer.body, null, 2));
      else io.err(`${answer.status} ${problem?.code ?? ''}: ${problem?.detail ?? JSON.stringify(answer.body)}`);
      return 1;
    }
    for (const line of options.json ? [JSON.stringify(answer.body, null, 2)] : print(answer.body)) io.out(line);
    return 0;
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
