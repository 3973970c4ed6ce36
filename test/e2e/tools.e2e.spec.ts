/**
 * The command-line tools against a running service: the demo and the read-model rebuild.
 */
import { runDemo } from '../../src/cli/demo';
import { call } from '../support/http';
import { runScript } from '../support/processes';
import { startTestStack, TEST_KEYS, TestStack } from '../support/stack';

let stack: TestStack;

beforeAll(async () => {
  stack = await startTestStack();
});

afterAll(async () => {
  await stack?.stop();
});

describe('npm run demo', () => {
  it("replays the guide's demo with its figures, and can run again with fresh ids", async () => {
    for (let run = 0; run < 2; run += 1) {
      const lines: string[] = [];
      const result = await runDemo({ base: stack.apiUrl, key: TEST_KEYS.write }, (line) => lines.push(line));
      expect(result.statistics).toMatchObject({
        totalOrders: 3,
        totalRevenue: 299.93,
        netRevenue: 199.94,
        averageOrderValue: 99.98,
        ordersByStatus: { PENDING: 1, CONFIRMED: 0, SHIPPED: 1, DELIVERED: 0, CANCELLED: 1 },
      });
      const report = lines.join('\n');
      expect(report).toContain('Total revenue:       299.93');
      expect(report).toContain('Average order value: 99.98');
      expect(report).toMatch(/Orders of customer-123\S*: 2/);
      expect(report).toMatch(/Shipped orders: 1\n {4}1\. order-001\S* {2}customer customer-123/);
      if (run === 0) expect(result.orderIds).toEqual(['order-001', 'order-002', 'order-003']);
      else expect(result.orderIds[0]).toMatch(/^order-001-/);
    }
  });
});

describe('npm run projections:rebuild', () => {
  it('rebuilds inside the running service, showing progress, with the same answers after', async () => {
    const answers = async () => ({
      order: (await call(stack.apiUrl, 'GET', '/orders/order-001')).body,
      customer: (await call(stack.apiUrl, 'GET', '/customers/customer-123/orders')).body,
      shipped: (await call(stack.apiUrl, 'GET', '/orders?status=SHIPPED')).body,
      stats: (await call(stack.apiUrl, 'GET', '/stats/orders?from=2020-01-01&to=2299-01-01')).body,
    });
    const before = await answers();
    expect(before.stats.totalOrders).toBe(6);
    const run = await runScript('src/cli/rebuildProjections.ts', { ORDERS_API_URL: stack.apiUrl, ORDERS_API_KEY: TEST_KEYS.admin });
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    expect(run.stdout).toContain('rebuilding the read models in the service');
    expect(run.stdout).toMatch(/orders_by_id\s+\[#{16}\] 16\/16/);
    expect(run.stdout).toMatch(/rebuilt from \d+ events/);
    expect(await answers()).toEqual(before);
  });
});
