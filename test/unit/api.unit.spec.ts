/**
 * The HTTP API in-process, over in-memory stand-ins of its ports: routes, request validation with
 * field-named messages, roles, the problem+json mapping, and HTTP manners (unknown methods, body
 * encodings and limits, rate limits). What needs Temporal or ClickHouse is in test/e2e.
 */
import { gzipSync } from 'node:zlib';
import pino from 'pino';
import { LIMITS } from '../../src/domain/commands';
import { call, expectProblem, rawExchange, rawRequest } from '../support/http';
import { InMemoryApi, startInMemoryApi } from '../support/inMemory';
import { TEST_KEYS } from '../support/keys';

let api: InMemoryApi;

beforeAll(async () => {
  api = await startInMemoryApi();
});

afterAll(async () => {
  await api?.stop();
});

const order = (orderId: string, changes: Record<string, unknown> = {}) => ({
  orderId,
  customerId: 'customer-123',
  items: [{ productId: 'prod-1', quantity: 2, price: 29.99 }],
  ...changes,
});

const as = (key: string | undefined, method: string, path: string, json?: unknown) =>
  call(api.url, method, path, { json, headers: { authorization: key === undefined ? '' : `Bearer ${key}` } });

/** The fields a refusal names, each with its message. */
const refused = (body: { errors?: Array<{ field: string; message: string }> }) => Object.fromEntries((body.errors ?? []).map((e) => [e.field, e.message]));

describe('when an order is created', () => {
  it('answers 201 with the order and its Location, and reads it back', async () => {
    const created = await call(api.url, 'POST', '/orders', { json: order('unit-1', { customerName: '  Ada  ' }) });
    expect(created.status).toBe(201);
    expect(created.headers.get('location')).toBe('/orders/unit-1');
    expect(created.body).toMatchObject({ orderId: 'unit-1', customerName: 'Ada', total: 59.98, status: 'PENDING', version: 1, itemCount: 1 });
    const read = await call(api.url, 'GET', '/orders/unit-1');
    expect(read.body).toMatchObject({ orderId: 'unit-1', total: 59.98 });
  });

  it('refuses a second create of the same id with 409 ORDER_ALREADY_EXISTS', async () => {
    await call(api.url, 'POST', '/orders', { json: order('unit-dup') });
    expectProblem(await call(api.url, 'POST', '/orders', { json: order('unit-dup') }), 409, 'ORDER_ALREADY_EXISTS');
  });

  it('answers a repeated Idempotency-Key with the first answer and records nothing new', async () => {
    const first = await call(api.url, 'POST', '/orders', { json: order('unit-idem'), headers: { 'idempotency-key': 'key-1' } });
    const again = await call(api.url, 'POST', '/orders', { json: order('unit-idem'), headers: { 'idempotency-key': 'key-1' } });
    expect(again.status).toBe(201);
    expect(again.body).toEqual(first.body);
  });

  it.each([
    ['POST', '/orders', order('unit-system-key')],
    ['POST', '/orders/unit-1/cancel', { reason: 'mine' }],
    ['POST', '/orders/unit-1/status', { status: 'CANCELLED' }],
  ])('refuses an Idempotency-Key the system keeps for its own commands: %s %s answers 400 naming the header', async (method, path, json) => {
    const reply = await call(api.url, method, path, { json, headers: { 'idempotency-key': 'system:payment-window-expired' } });
    expectProblem(reply, 400, 'VALIDATION_FAILED');
    expect(refused(reply.body)).toEqual({ 'Idempotency-Key': "must not start with system: (the service's own commands use it)" });
    expect((await call(api.url, 'GET', '/orders/unit-system-key')).status).toBe(404);
    expect((await call(api.url, 'GET', '/orders/unit-1/commands/system:payment-window-expired')).status).toBe(404);
  });

  it('with Prefer: respond-async, answers 202 and tells the outcome at its Location', async () => {
    const accepted = await call(api.url, 'POST', '/orders', { json: order('unit-async'), headers: { prefer: 'respond-async', 'idempotency-key': 'k-async' } });
    expect(accepted.status).toBe(202);
    expect(accepted.headers.get('preference-applied')).toBe('respond-async');
    const outcome = await call(api.url, 'GET', accepted.headers.get('location')!);
    expect(outcome.body).toMatchObject({ commandId: 'k-async', accepted: true, version: 1 });
  });
});

describe('when an order moves along the state machine', () => {
  beforeAll(async () => {
    await call(api.url, 'POST', '/orders', { json: order('unit-flow') });
  });

  it('confirms, refuses a jump to DELIVERED, and cancels with a reason', async () => {
    expect((await call(api.url, 'POST', '/orders/unit-flow/status', { json: { status: 'CONFIRMED' } })).body.status).toBe('CONFIRMED');
    expectProblem(await call(api.url, 'POST', '/orders/unit-flow/status', { json: { status: 'DELIVERED' } }), 409, 'INVALID_TRANSITION');
    expect((await call(api.url, 'POST', '/orders/unit-flow/cancel', { json: { reason: 'changed my mind' } })).body.status).toBe('CANCELLED');
  });

  it('answers 404 ORDER_NOT_FOUND for an order that does not exist', async () => {
    expectProblem(await call(api.url, 'POST', '/orders/unit-none/status', { json: { status: 'CONFIRMED' } }), 404, 'ORDER_NOT_FOUND');
    expectProblem(await call(api.url, 'GET', '/orders/unit-none'), 404, 'ORDER_NOT_FOUND');
  });
});

describe('a request the schemas refuse', () => {
  const line = (changes: Record<string, unknown>) => ({ items: [{ productId: 'p', quantity: 1, price: 1, ...changes }] });

  it.each([
    ['a negative quantity', line({ quantity: -1 }), 'items[0].quantity', 'must be a positive integer'],
    ['a price with 3 decimals', line({ price: 1.005 }), 'items[0].price', 'must have at most 2 decimals'],
    ['a price too large', line({ price: 1e12 }), 'items[0].price', 'must be at most 1000000'],
    ['a price as a string', line({ price: '1.00' }), 'items[0].price', 'must be a number'],
    ['no items', { items: [] }, 'items', 'must contain at least one item'],
    ['an id with a slash', { orderId: '../etc' }, 'orderId', 'may contain only letters, digits and . _ : @ -, and must start with a letter or digit'],
    ['a lone surrogate in a name', { customerName: 'a\ud800b' }, 'customerName', 'must be well-formed Unicode (no lone surrogates)'],
    ['a C1 control in a name', { customerName: 'Ada\u0085' }, 'customerName', 'must not contain control characters'],
    ['a name of 201 emoji', { customerName: '😀'.repeat(201) }, 'customerName', 'must be at most 200 characters'],
    ['a blank name', { customerName: '   ' }, 'customerName', 'must not be empty'],
    ['a null name', { customerName: null }, 'customerName', 'must be a string'],
    ['an unknown field', { discount: 5 }, 'discount', 'is not a known field'],
  ])('POST /orders with %s: 400 naming the field', async (_case, changes, field, message) => {
    const reply = await call(api.url, 'POST', '/orders', { json: order('unit-bad', changes) });
    expectProblem(reply, 400, 'VALIDATION_FAILED');
    expect(refused(reply.body)).toEqual({ [field]: message });
    expect(reply.body.detail).toBe(`${field}: ${message}`);
  });

  it('accepts a name of 200 emoji: lengths count code points', async () => {
    const reply = await call(api.url, 'POST', '/orders', { json: order('unit-emoji', { customerName: '😀'.repeat(200) }) });
    expect(reply.status).toBe(201);
  });

  it('names every bad field at once, in body, path and headers', async () => {
    const reply = await call(api.url, 'POST', '/orders/-bad/cancel', { json: { reason: '', extra: 1 }, headers: { 'idempotency-key': 'k'.repeat(129) } });
    expect(refused(reply.body)).toEqual({
      orderId: 'may contain only letters, digits and . _ : @ -, and must start with a letter or digit',
      'Idempotency-Key': 'must be at most 128 characters',
      reason: 'must not be empty',
      extra: 'is not a known field',
    });
  });

  it.each([
    ['/orders?limit=0', 'limit', 'must be an integer from 1 to 200'],
    ['/orders?limit=1e2', 'limit', 'must be an integer from 1 to 200'],
    ['/orders?limit=', 'limit', 'must be an integer from 1 to 200'],
    ['/orders?limit=1&limit=2', 'limit', 'must be given once'],
    ['/orders?status=shipped', 'status', 'must be one of PENDING, CONFIRMED, SHIPPED, DELIVERED, CANCELLED'],
    ['/orders?cursor=zzz', 'cursor', 'is not a cursor this API issued'],
    ['/orders?cursor=a%2Fb', 'cursor', 'is not a cursor this API issued'],
    ['/orders?customerId=a%20b', 'customerId', 'may contain only letters, digits and . _ : @ -, and must start with a letter or digit'],
    ['/stats/orders?from=2026-02-30', 'from', 'must be a date (2026-11-01) or a date-time with its zone (2026-11-01T00:00:00Z)'],
    ['/stats/orders?from=2026-06-01&to=2026-05-01', 'from', 'must be before to'],
    ['/stats/orders?to=yesterday', 'to', 'must be a date (2026-11-01) or a date-time with its zone (2026-11-01T00:00:00Z)'],
    ['/orders/unit-1?consistency=maybe', 'consistency', 'must be one of eventual, strong'],
    ['/orders/unit-1?minVersion=0', 'minVersion', 'must be an integer from 1 to 999999999'],
    [
      '/analytics/revenue?from=2020-01-01&to=2026-01-01&granularity=hour',
      'granularity',
      'the range holds more than 2000 hour buckets; narrow it or use a coarser granularity',
    ],
    ['/analytics/top-products?limit=101', 'limit', 'must be an integer from 1 to 100'],
  ])('GET %s: 400 naming %s', async (path, field, message) => {
    const reply = await call(api.url, 'GET', path);
    expectProblem(reply, 400, 'VALIDATION_FAILED');
    expect(refused(reply.body)[field]).toBe(message);
  });

  it('POST /analytics/sql: 400 naming a bad parameter or an unknown field, before any SQL is looked at', async () => {
    const reply = await call(api.url, 'POST', '/analytics/sql', {
      json: { sql: 'SELECT {x:String}', params: { 'x y': 1, x: { nested: true }, big: 2 ** 60 }, extra: 1 },
    });
    expectProblem(reply, 400, 'VALIDATION_FAILED');
    expect(refused(reply.body)).toEqual({
      'params.x y': 'is not a parameter name (letters, digits and _, at most 64)',
      'params.x': 'must be a string, a number within ±(2^53 − 1) (a larger one as a string), a boolean or a list of them',
      'params.big': 'must be a string, a number within ±(2^53 − 1) (a larger one as a string), a boolean or a list of them',
      extra: 'is not a known field',
    });
  });

  it('reads a date as midnight UTC and a date-time with its zone', async () => {
    const reply = await call(api.url, 'GET', '/stats/orders?from=2026-11-01&to=2026-11-02T01:30:00%2B02:00');
    expect(reply.body).toMatchObject({ from: '2026-11-01T00:00:00.000Z', to: '2026-11-01T23:30:00.000Z' });
  });

  it('takes an instant beyond what the read models hold as their first or last', async () => {
    const reply = await call(api.url, 'GET', '/stats/orders?from=0001-01-01&to=9999-12-31');
    expect(reply.body).toMatchObject({ from: '1970-01-01T00:00:00.000Z', to: '2299-12-31T23:59:59.999Z' });
  });

  it('pages with the cursor it issued, and says null on the last page', async () => {
    const first = await call(api.url, 'GET', '/orders?limit=1');
    expect(typeof first.body.nextCursor).toBe('string');
    const next = await call(api.url, 'GET', `/orders?limit=1&cursor=${first.body.nextCursor}`);
    expect(next.body.orders[0].orderId > first.body.orders[0].orderId).toBe(true);
    expect((await call(api.url, 'GET', '/orders?limit=200')).body.nextCursor).toBeNull();
  });
});

describe('request bodies', () => {
  const post = (body: Buffer | string, headers: Record<string, string>) =>
    rawRequest(api.url, 'POST', '/orders', { body, headers: { authorization: `Bearer ${TEST_KEYS.admin}`, ...headers } });
  const json = JSON.stringify(order('unit-gzip'));

  it('are read gzip-compressed', async () => {
    const reply = await post(gzipSync(json), { 'content-type': 'application/json', 'content-encoding': 'gzip' });
    expect(reply.status).toBe(201);
  });

  it('answer 415 to an unsupported Content-Encoding, and to a body that is not JSON', async () => {
    const encoded = await post(json, { 'content-type': 'application/json', 'content-encoding': 'compress' });
    expect([encoded.status, JSON.parse(encoded.body).code]).toEqual([415, 'UNSUPPORTED_MEDIA_TYPE']);
    const text = await post(json, { 'content-type': 'text/plain' });
    expect([text.status, JSON.parse(text.body).code]).toEqual([415, 'UNSUPPORTED_MEDIA_TYPE']);
  });

  it('answer 413 past 1 MiB, compressed or not', async () => {
    const huge = JSON.stringify(order('unit-huge', { customerName: 'x'.repeat(LIMITS.maxBodyBytes) }));
    expect((await post(huge, { 'content-type': 'application/json' })).status).toBe(413);
    const bomb = await post(gzipSync(' '.repeat(8 * LIMITS.maxBodyBytes)), { 'content-type': 'application/json', 'content-encoding': 'gzip' });
    expect([bomb.status, JSON.parse(bomb.body).code]).toEqual([413, 'PAYLOAD_TOO_LARGE']);
  });

  it('answer 400 to broken JSON and to a __proto__ key', async () => {
    for (const body of ['{"orderId":', '{"__proto__":{"x":1}}']) {
      const reply = await post(body, { 'content-type': 'application/json' });
      expect([body, reply.status, JSON.parse(reply.body).code]).toEqual([body, 400, 'VALIDATION_FAILED']);
    }
  });

  it('are required where a route takes one', async () => {
    const reply = await call(api.url, 'POST', '/orders');
    expectProblem(reply, 400, 'VALIDATION_FAILED');
    expect(refused(reply.body)).toEqual({ body: 'is required' });
  });
});

describe('roles', () => {
  it.each([
    [undefined, 'GET', '/healthz', 200],
    [undefined, 'GET', '/readyz', 200],
    [undefined, 'GET', '/openapi.json', 200],
    [undefined, 'GET', '/orders', 401],
    [undefined, 'GET', '/no/such/route', 401],
    ['not-a-key-at-all-000000', 'GET', '/orders', 401],
    [TEST_KEYS.read, 'GET', '/stats/orders', 200],
    [TEST_KEYS.read, 'GET', '/metrics', 404],
    [TEST_KEYS.read, 'POST', '/orders', 403],
    [TEST_KEYS.read, 'POST', '/admin/projections/rebuild', 403],
    [TEST_KEYS.write, 'POST', '/analytics/sql', 403],
    [TEST_KEYS.write, 'POST', '/admin/projections/rebuild', 403],
    [TEST_KEYS.admin, 'POST', '/admin/projections/rebuild', 200],
    [TEST_KEYS.write, 'POST', '/admin/events/redeliver', 403],
    [TEST_KEYS.admin, 'POST', '/admin/events/redeliver', 202],
    [TEST_KEYS.read, 'GET', '/no/such/route', 404],
  ])('key %s: %s %s answers %i', async (key, method, path, status) => {
    const body = method === 'POST' && path === '/orders' ? order('unit-roles') : undefined;
    const reply = await as(key, method, path, body);
    expect(reply.status).toBe(status);
    if (status === 401) expect(reply.headers.get('www-authenticate')).toContain('Bearer');
  });
});

describe('HTTP manners', () => {
  it.each([
    ['TRACE', '/orders', 'GET, HEAD, POST, OPTIONS'],
    ['PROPFIND', '/orders/x', 'GET, HEAD, OPTIONS'],
    ['DELETE', '/orders/x/cancel', 'POST, OPTIONS'],
    ['QUERY', '/healthz', 'GET, HEAD, OPTIONS'],
  ])('%s %s answers 405 with Allow, as problem+json', async (method, path, allow) => {
    const reply = await rawRequest(api.url, method, path, { headers: { authorization: `Bearer ${TEST_KEYS.admin}` } });
    expect(reply.status).toBe(405);
    expect(String(reply.headers.allow).split(', ').sort()).toEqual(allow.split(', ').sort());
    expect(reply.headers['content-type']).toMatch(/^application\/problem\+json/);
    expect(JSON.parse(reply.body).code).toBe('METHOD_NOT_ALLOWED');
  });

  it('answers a method no server knows with 501 as problem+json', async () => {
    const answer = await rawExchange(api.url, 'FROB /orders HTTP/1.1\r\nHost: x\r\n\r\n');
    expect(answer).toMatch(/^HTTP\/1\.1 501 Not Implemented\r\n/);
    expect(answer).toContain('Content-Type: application/problem+json');
    expect(answer).toContain('"code":"METHOD_NOT_IMPLEMENTED"');
  });

  it('answers OPTIONS with 204 and Allow', async () => {
    const reply = await rawRequest(api.url, 'OPTIONS', '/orders', { headers: { authorization: `Bearer ${TEST_KEYS.read}` } });
    expect([reply.status, reply.headers.allow]).toEqual([204, 'POST, GET, HEAD, OPTIONS']);
  });

  it('asks for a key, of the role the path needs, before it says which methods a protected path takes', async () => {
    expect((await rawRequest(api.url, 'TRACE', '/orders')).status).toBe(401);
    expect((await rawRequest(api.url, 'DELETE', '/orders/x/cancel', { headers: { authorization: `Bearer ${TEST_KEYS.read}` } })).status).toBe(403);
  });
});

describe('refusals are not errors of the service', () => {
  it('logs unknown methods and bad input below error level, and an unexpected failure as an error with 500', async () => {
    const lines: Array<{ level: number; msg: string }> = [];
    const log = pino({ level: 'debug' }, { write: (line: string) => lines.push(JSON.parse(line)) });
    const broken = await startInMemoryApi({ log });
    try {
      await rawRequest(broken.url, 'TRACE', '/healthz');
      await call(broken.url, 'POST', '/orders', { json: { orderId: '' } });
      expect(lines.filter((line) => line.level >= 50)).toEqual([]);
      broken.readModels.orderById = async () => {
        throw new Error('the disk caught fire');
      };
      const reply = await call(broken.url, 'GET', '/orders/x');
      expectProblem(reply, 500, 'INTERNAL');
      expect(reply.body.detail).not.toContain('fire');
      expect(lines.filter((line) => line.level >= 50).map((line) => line.msg)).toEqual(['unhandled error']);
    } finally {
      await broken.stop();
    }
  });

  it('answers 503 UNAVAILABLE with Retry-After when a dependency is away', async () => {
    const away = await startInMemoryApi();
    try {
      away.readModels.orderById = async () => {
        throw Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:8123'), { code: 'ECONNREFUSED' });
      };
      const reply = await call(away.url, 'GET', '/orders/x');
      expectProblem(reply, 503, 'UNAVAILABLE');
      expect(reply.headers.get('retry-after')).toBe('1');
    } finally {
      await away.stop();
    }
  });
});

describe('rate limits', () => {
  it('answer 429 RATE_LIMITED with Retry-After once a key exceeds its rate', async () => {
    const limited = await startInMemoryApi({
      auth: { keys: [{ secret: TEST_KEYS.read, role: 'read' }], rateLimitRps: 5, adminRateLimitRps: 0, authFailuresPerMinute: 0 },
    });
    try {
      const replies = await Promise.all(
        Array.from({ length: 12 }, () => call(limited.url, 'GET', '/orders', { headers: { authorization: `Bearer ${TEST_KEYS.read}` } })),
      );
      const refusedOnes = replies.filter((reply) => reply.status === 429);
      expect(refusedOnes.length).toBeGreaterThan(0);
      expectProblem(refusedOnes[0], 429, 'RATE_LIMITED');
      expect(Number(refusedOnes[0].headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
    } finally {
      await limited.stop();
    }
  });

  it('refuse every authentication from an address past its failures, a right key included', async () => {
    const guarded = await startInMemoryApi({
      auth: { keys: [{ secret: TEST_KEYS.read, role: 'read' }], rateLimitRps: 0, adminRateLimitRps: 0, authFailuresPerMinute: 5 },
    });
    const withKey = (key: string) => call(guarded.url, 'GET', '/orders', { headers: { authorization: `Bearer ${key}` } });
    try {
      for (let attempt = 0; attempt < 5; attempt += 1) expect((await withKey(`wrong-key-${attempt}-0123456789`)).status).toBe(401);
      const blocked = await withKey('wrong-key-again-0123456789');
      expectProblem(blocked, 429, 'RATE_LIMITED');
      expect(Number(blocked.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
      expectProblem(await withKey(TEST_KEYS.read), 429, 'RATE_LIMITED');
      expect((await call(guarded.url, 'GET', '/healthz', { headers: { authorization: '' } })).status).toBe(200);
    } finally {
      await guarded.stop();
    }
  });
});

describe('every answer', () => {
  it('carries the security headers and a request id', async () => {
    for (const reply of [await as(undefined, 'GET', '/healthz'), await as(undefined, 'GET', '/orders'), await as(TEST_KEYS.read, 'GET', '/orders')]) {
      expect(reply.headers.get('x-content-type-options')).toBe('nosniff');
      expect(reply.headers.get('x-frame-options')).toBe('DENY');
      expect(reply.headers.get('content-security-policy')).toContain("default-src 'none'");
      expect(reply.headers.get('referrer-policy')).toBe('no-referrer');
      expect(reply.headers.get('cache-control')).toBe('no-store');
      expect(reply.headers.get('x-request-id')).toMatch(/^[0-9a-f-]{36}$/);
    }
  });
});
