/**
 * Access control as the service is configured from its environment: the keys of API_KEYS with
 * their roles, RATE_LIMIT_RPS and AUTH_FAILURES_PER_MINUTE reach the running API, and the API alone
 * will not start without keys. Every rule itself (roles per route, limits, headers) is shown
 * in-process in test/unit/api.unit.spec.ts.
 */
import path from 'node:path';
import { projectRoot } from '../../src/paths';
import { call, expectProblem } from '../support/http';
import { Background } from '../support/processes';
import { startTestStack, TEST_KEYS, TestStack } from '../support/stack';

let stack: TestStack;

beforeAll(async () => {
  stack = await startTestStack({ env: { RATE_LIMIT_RPS: '20', AUTH_FAILURES_PER_MINUTE: '10' } });
});

afterAll(async () => {
  await stack?.stop();
});

const as = (key: string | undefined, method: string, route: string, json?: unknown) =>
  call(stack.apiUrl, method, route, { json, headers: { authorization: key === undefined ? '' : `Bearer ${key}` } });

const order = (orderId: string) => ({ orderId, customerId: 'acl-customer', items: [{ productId: 'p', quantity: 1, price: 5 }] });

describe('the keys of API_KEYS', () => {
  it('each act with their role: read queries, write commands, admin rebuilds', async () => {
    expect((await as(TEST_KEYS.read, 'GET', '/stats/orders')).status).toBe(200);
    expectProblem(await as(TEST_KEYS.read, 'POST', '/orders', order('acl-read')), 403, 'FORBIDDEN');
    expect((await as(TEST_KEYS.write, 'POST', '/orders', order('acl-write'))).status).toBe(201);
    expectProblem(await as(TEST_KEYS.write, 'POST', '/admin/projections/rebuild'), 403, 'FORBIDDEN');
    const rebuilt = await as(TEST_KEYS.admin, 'POST', '/admin/projections/rebuild');
    expect(rebuilt.status).toBe(200);
    expect(String(rebuilt.body)).toContain('"done"');
  });

  it('leave every other request unauthenticated, the health checks aside', async () => {
    expectProblem(await as(undefined, 'GET', '/orders'), 401, 'UNAUTHORIZED');
    expect((await as(undefined, 'GET', '/readyz')).status).toBe(200);
  });
});

describe('the rate limits of the environment', () => {
  it('RATE_LIMIT_RPS: a read key past 20 requests a second answers 429 with Retry-After', async () => {
    // The key's one-second window starts afresh, clear of the requests of the tests above.
    await new Promise((resolve) => setTimeout(resolve, 1100));
    const replies = await Promise.all(Array.from({ length: 60 }, () => as(TEST_KEYS.read, 'GET', '/orders/acl-write')));
    const limited = replies.filter((reply) => reply.status === 429);
    expect(limited.length).toBeGreaterThan(0);
    expect(replies.filter((reply) => reply.status === 200).length).toBeGreaterThanOrEqual(20);
    expectProblem(limited[0], 429, 'RATE_LIMITED');
  });

  it('AUTH_FAILURES_PER_MINUTE: past 10 wrong keys an address is refused for the rest of the minute', async () => {
    const replies = [];
    for (let attempt = 0; attempt < 12; attempt += 1) replies.push((await as(`wrong-key-${attempt}-0123456789`, 'GET', '/orders')).status);
    // The tests above already failed once from this address; at most 10 failures pass as 401.
    const refusedFrom = replies.indexOf(429);
    expect(refusedFrom).toBeGreaterThan(0);
    expect(refusedFrom).toBeLessThanOrEqual(10);
    expect(replies).toEqual([...Array(refusedFrom).fill(401), ...Array(12 - refusedFrom).fill(429)]);
    expectProblem(await as(TEST_KEYS.admin, 'GET', '/orders'), 429, 'RATE_LIMITED');
  });
});

describe('the API alone (scaled out)', () => {
  it('refuses to start without API_KEYS', async () => {
    const api = new Background(process.execPath, ['--import', 'tsx', path.join(projectRoot(), 'src', 'bin', 'startApi.ts')], {
      cwd: projectRoot(),
      env: { ...process.env, TEMPORAL_ADDRESS: '127.0.0.1:1', CLICKHOUSE_URL: 'http://127.0.0.1:1', API_KEYS: '' },
    });
    try {
      expect(await api.waitForExit(30_000)).toBe(2);
      expect(api.output).toContain('set API_KEYS');
    } finally {
      await api.stop('SIGKILL');
    }
  });
});
