/**
 * `npm run demo`: replays the guide's demo against a running service over HTTP: three orders,
 * order-001 confirmed and shipped, order-002 cancelled, then the four queries. If the guide's ids
 * are taken (the demo ran before), it uses fresh ids so it can run again and again.
 */
import type { OrderSnapshot } from '../domain/order';
import type { OrderPage, OrderStatisticsAnswer, OrderView } from '../api/ports';
import { ApiTarget, apiTarget, request } from './apiClient';

export interface DemoResult {
  orderIds: string[];
  customerIds: string[];
  statistics: OrderStatisticsAnswer;
}

const money = (amount: number) => amount.toFixed(2);

export async function runDemo(base: ApiTarget, print: (line: string) => void): Promise<DemoResult> {
  print(`CQRS order demo against ${base.base}\n`);
  const taken = (await request(base, 'GET', '/orders/order-001')).status !== 404;
  const tag = taken ? `-${Date.now().toString(36)}` : '';
  if (taken) print(`(the guide's ids are taken by an earlier run; this run uses the suffix ${tag})\n`);
  const id = (name: string) => `${name}${tag}`;
  const [o1, o2, o3] = ['order-001', 'order-002', 'order-003'].map(id);
  const [c1, c2] = ['customer-123', 'customer-456'].map(id);

  const versions = new Map<string, number>();
  const command = async (label: string, path: string, body: unknown) => {
    const { body: order } = await request<OrderSnapshot>(base, 'POST', path, body);
    versions.set(order.orderId, order.version);
    print(`  ✓ ${label.padEnd(34)} → ${order.status.padEnd(9)} total ${money(order.total).padStart(7)}  (version ${order.version})`);
    return order;
  };

  print('Commands (write side: one Temporal workflow per order)');
  const first = await command(`create ${o1} for ${c1}`, '/orders', {
    orderId: o1,
    customerId: c1,
    items: [
      { productId: 'prod-1', quantity: 2, price: 29.99 },
      { productId: 'prod-2', quantity: 1, price: 49.99 },
    ],
  });
  await command(`create ${o2} for ${c1}`, '/orders', { orderId: o2, customerId: c1, items: [{ productId: 'prod-3', quantity: 1, price: 99.99 }] });
  await command(`create ${o3} for ${c2}`, '/orders', { orderId: o3, customerId: c2, items: [{ productId: 'prod-1', quantity: 3, price: 29.99 }] });
  await command(`confirm ${o1}`, `/orders/${o1}/status`, { status: 'CONFIRMED' });
  await command(`ship ${o1}`, `/orders/${o1}/status`, { status: 'SHIPPED' });
  await command(`cancel ${o2}`, `/orders/${o2}/cancel`, { reason: 'Customer requested cancellation' });

  // Read your writes: wait until the read models hold every version the commands produced.
  const views = new Map<string, OrderView>();
  for (const [orderId, version] of versions) {
    const { body } = await request<OrderView>(base, 'GET', `/orders/${orderId}?minVersion=${version}`);
    views.set(orderId, body);
  }

  print('\nQueries (read side: ClickHouse read models)');
  const order = views.get(o1)!;
  print(`  Order ${order.orderId}`);
  print(`    Customer: ${order.customerName}`);
  print(`    Items:    ${order.itemCount}`);
  print(`    Total:    ${money(order.total)}`);
  print(`    Status:   ${order.status}`);

  const { body: customerOrders } = await request<OrderPage>(base, 'GET', `/customers/${c1}/orders`);
  print(`  Orders of ${c1}: ${customerOrders.orders.length}`);
  customerOrders.orders.forEach((o, i) => print(`    ${i + 1}. ${o.orderId}  ${money(o.total).padStart(7)}  ${o.status}`));

  const shipped: OrderView[] = [];
  for (const customerId of [c1, c2]) {
    const { body } = await request<OrderPage>(base, 'GET', `/orders?status=SHIPPED&customerId=${customerId}`);
    shipped.push(...body.orders);
  }
  print(`  Shipped orders: ${shipped.length}`);
  shipped.forEach((o, i) => print(`    ${i + 1}. ${o.orderId}  customer ${o.customerId}`));

  // The statistics cover exactly this run: from its first order to just after its last.
  const from = first.createdAt;
  const to = new Date(Math.max(...[...views.values()].map((v) => Date.parse(v.createdAt))) + 1).toISOString();
  const { body: statistics } = await request<OrderStatisticsAnswer>(base, 'GET', `/stats/orders?from=${from}&to=${to}`);
  print(`  Statistics (orders created from ${from} to ${to})`);
  print(`    Total orders:        ${statistics.totalOrders}`);
  print(`    Total revenue:       ${money(statistics.totalRevenue)}`);
  print(`    Net revenue:         ${money(statistics.netRevenue)}  (without cancelled orders)`);
  print(`    Average order value: ${money(statistics.averageOrderValue)}`);
  const byStatus = Object.entries(statistics.ordersByStatus).filter(([, count]) => count > 0);
  print(`    By status:           ${byStatus.map(([status, count]) => `${status} ${count}`).join(', ')}`);
  print('\nDemo complete.');
  return { orderIds: [o1, o2, o3], customerIds: [c1, c2], statistics };
}

if (require.main === module) {
  const target = apiTarget(process.env);
  runDemo(target, (line) => console.log(line)).catch((error: unknown) => {
    const message = error instanceof Error ? error.message : String(error);
    const refused = /fetch failed|ECONNREFUSED/.test(message) || /ECONNREFUSED/.test(String((error as { cause?: unknown })?.cause));
    const unauthorized = /UNAUTHORIZED|FORBIDDEN/.test(message);
    console.error(
      refused
        ? `No service answers at ${target.base}. Start it with \`npm start\` (or set ORDERS_API_URL).`
        : unauthorized
          ? `The service refused the key: set ORDERS_API_KEY to a write or admin key (${message}).`
          : `The demo failed: ${message}`,
    );
    process.exit(1);
  });
}
