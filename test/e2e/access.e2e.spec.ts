/**
 * Access control over real HTTP: API keys with roles, the open health routes, the per-key rate
 * limit, and the security headers on every answer.
 */
import path from 'node:path';
import { projectRoot } from '../../src/paths';
import { call, expectProblem } from '../support/http';
import { Background } from '../support/processes';
import { startTestStack, TEST_KEYS, TestStack } from '../support/stack';

let stack: TestStack;

beforeAll(async () => {
  stack = await startTestStack({ env: { RATE_LIMIT_RPS: '20' } });
});

afterAll(async () => {
  await stack?.stop();
});

const as = (key: string | undefined, method: string, route: string, json?: unknown) =>
  call(stack.apiUrl, method, route, { json, headers: { authorization: key === undefined ? '' : `Bearer ${key}` } });

const order = (orderId: string) => ({ orderId, customerId: 'acl-customer', items: [{ productId: 'p', quantity: 1, price: 5 }] });

describe('without a valid key', () => {
  it('answers 401 UNAUTHORIZED, asking for a bearer token', async () => {
    const reply = await as(undefined, 'GET', '/orders');
    expectProblem(reply, 401, 'UNAUTHORIZED');
    expect(reply.headers.get('www-authenticate')).toContain('Bearer');
    expectProblem(await as('not-a-key-at-all-000000', 'GET', '/orders'), 401, 'UNAUTHORIZED');
    expectProblem(await as(undefined, 'POST', '/orders', order('acl-anon')), 401, 'UNAUTHORIZED');
    expect((await as(TEST_KEYS.admin, 'GET', '/orders/acl-anon?consistency=strong')).status).toBe(404);
  });

  it('still answers /healthz and /readyz', async () => {
    expect((await as(undefined, 'GET', '/healthz')).status).toBe(200);
    expect((await as(undefined, 'GET', '/readyz')).status).toBe(200);
  });

  it('does not leak which routes exist', async () => {
    expectProblem(await as(undefined, 'GET', '/no/such/route'), 401, 'UNAUTHORIZED');
  });
});

describe('a read key', () => {
  it('may query but not command or administer', async () => {
    expect((await as(TEST_KEYS.read, 'GET', '/stats/orders')).status).toBe(200);
    expectProblem(await as(TEST_KEYS.read, 'POST', '/orders', order('acl-read')), 403, 'FORBIDDEN');
    expectProblem(await as(TEST_KEYS.read, 'POST', '/admin/projections/rebuild'), 403, 'FORBIDDEN');
  });
});

describe('a write key', () => {
  it('may command and query, but not administer', async () => {
    expect((await as(TEST_KEYS.write, 'POST', '/orders', order('acl-write'))).status).toBe(201);
    expect((await as(TEST_KEYS.write, 'GET', '/orders/acl-write?minVersion=1')).status).toBe(200);
    expectProblem(await as(TEST_KEYS.write, 'POST', '/admin/projections/rebuild'), 403, 'FORBIDDEN');
  });
});

describe('an admin key', () => {
  it('may administer', async () => {
    const reply = await as(TEST_KEYS.admin, 'POST', '/admin/projections/rebuild');
    expect(reply.status).toBe(200);
    expect(String(reply.body)).toContain('"done"');
  });
});

describe('the rate limit', () => {
  it('answers 429 RATE_LIMITED with Retry-After once a read key exceeds its rate', async () => {
    const replies = await Promise.all(Array.from({ length: 60 }, () => as(TEST_KEYS.read, 'GET', '/orders/acl-write')));
    const limited = replies.filter((reply) => reply.status === 429);
    expect(limited.length).toBeGreaterThan(0);
    expect(replies.filter((reply) => reply.status === 200).length).toBeGreaterThanOrEqual(20);
    expectProblem(limited[0], 429, 'RATE_LIMITED');
    expect(Number(limited[0].headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
  });

  it('does not limit admin keys unless configured', async () => {
    const replies = await Promise.all(Array.from({ length: 60 }, () => as(TEST_KEYS.admin, 'GET', '/orders/acl-write')));
    expect(replies.every((reply) => reply.status === 200)).toBe(true);
  });
});

describe('every answer', () => {
  it('carries the security headers', async () => {
    for (const reply of [await as(undefined, 'GET', '/healthz'), await as(undefined, 'GET', '/orders'), await as(TEST_KEYS.read, 'GET', '/orders')]) {
      expect(reply.headers.get('x-content-type-options')).toBe('nosniff');
      expect(reply.headers.get('x-frame-options')).toBe('DENY');
      expect(reply.headers.get('content-security-policy')).toContain("default-src 'none'");
      expect(reply.headers.get('referrer-policy')).toBe('no-referrer');
      expect(reply.headers.get('cache-control')).toBe('no-store');
    }
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
