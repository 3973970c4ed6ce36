/**
 * The OpenAPI 3.1 document, generated from the same specs that validate requests: the body specs
 * of src/domain/validation.ts, the query parameters of ./queryParams.ts, and the error codes each
 * route can answer. Served at /openapi.json; /docs renders it with Swagger UI from npm.
 */
import { ErrorCode } from '../domain/errors';
import { ORDER_STATUSES } from '../domain/order';
import { BodySpec, CANCEL_BODY, CHANGE_STATUS_BODY, CREATE_ORDER_BODY, FieldSpec, ID_PATTERN, LIMITS } from '../domain/validation';
import { HTTP_STATUS } from './problem';
import { ANALYST_LIMITS } from '../clickhouse/analystSql';
import { QUERY_PARAMS, QueryParamName } from './queryParams';

type Schema = Record<string, unknown>;
type Role = 'read' | 'write' | 'admin' | 'none';

export interface Operation {
  method: 'get' | 'post';
  /** As the router spells it: `/orders/:orderId`. */
  path: string;
  operationId: string;
  summary: string;
  role: Role;
  query?: QueryParamName[];
  headers?: Array<'Idempotency-Key' | 'Prefer' | 'X-Correlation-Id'>;
  body?: BodySpec;
  /** Success responses: status → description and schema (a component name, or a media type of its own). */
  responses: Record<number, { description: string; schema?: string; mediaType?: string }>;
  /** The codes of the refusals this route itself can answer; the role's adds 401/403/429, every route 500/503. */
  errors: ErrorCode[];
}

/** The SQL body is checked by src/clickhouse/analystSql.ts; this is its shape. */
const ANALYST_SQL_BODY: BodySpec = {
  fields: {
    sql: { kind: 'text', maxLength: ANALYST_LIMITS.maxSqlLength, required: true, description: 'One SELECT (or WITH … SELECT) statement' },
    params: { kind: 'params', required: false, description: 'Values for {name:Type} placeholders: strings, numbers, booleans or lists of them' },
  },
};

const COMMAND_HEADERS: Operation['headers'] = ['Idempotency-Key', 'Prefer', 'X-Correlation-Id'];
const BODY_ERRORS: ErrorCode[] = ['VALIDATION_FAILED', 'PAYLOAD_TOO_LARGE', 'UNSUPPORTED_MEDIA_TYPE'];

export const OPERATIONS: Operation[] = [
  {
    method: 'post',
    path: '/orders',
    operationId: 'createOrder',
    summary: 'Create an order (PENDING)',
    role: 'write',
    headers: COMMAND_HEADERS,
    body: CREATE_ORDER_BODY,
    responses: { 201: { description: 'The order as created', schema: 'Order' }, 202: { description: 'Accepted (Prefer: respond-async)', schema: 'Accepted' } },
    errors: [...BODY_ERRORS, 'ORDER_ALREADY_EXISTS'],
  },
  {
    method: 'post',
    path: '/orders/:orderId/status',
    operationId: 'changeOrderStatus',
    summary: 'Move an order along the state machine (CONFIRMED, SHIPPED, DELIVERED, CANCELLED)',
    role: 'write',
    headers: COMMAND_HEADERS,
    body: CHANGE_STATUS_BODY,
    responses: {
      200: { description: 'The order after the change', schema: 'Order' },
      202: { description: 'Accepted (Prefer: respond-async)', schema: 'Accepted' },
    },
    errors: [...BODY_ERRORS, 'ORDER_NOT_FOUND', 'INVALID_TRANSITION'],
  },
  {
    method: 'post',
    path: '/orders/:orderId/cancel',
    operationId: 'cancelOrder',
    summary: 'Cancel an order (PENDING or CONFIRMED only)',
    role: 'write',
    headers: COMMAND_HEADERS,
    body: CANCEL_BODY,
    responses: { 200: { description: 'The cancelled order', schema: 'Order' }, 202: { description: 'Accepted (Prefer: respond-async)', schema: 'Accepted' } },
    errors: [...BODY_ERRORS, 'ORDER_NOT_FOUND', 'INVALID_TRANSITION'],
  },
  {
    method: 'get',
    path: '/orders/:orderId/commands/:commandId',
    operationId: 'getCommandOutcome',
    summary: 'The outcome of a command, e.g. one sent with Prefer: respond-async',
    role: 'read',
    responses: { 200: { description: 'Accepted or rejected, and the order version it made', schema: 'CommandOutcome' } },
    errors: ['VALIDATION_FAILED', 'NOT_FOUND', 'ORDER_NOT_FOUND'],
  },
  {
    method: 'get',
    path: '/orders/:orderId',
    operationId: 'getOrder',
    summary: 'An order from the read model, or from its workflow with consistency=strong',
    role: 'read',
    query: ['minVersion', 'consistency'],
    responses: { 200: { description: 'The order (with items when consistency=strong)', schema: 'OrderView' } },
    errors: ['VALIDATION_FAILED', 'ORDER_NOT_FOUND'],
  },
  {
    method: 'get',
    path: '/orders',
    operationId: 'listOrders',
    summary: 'Orders, optionally by status or customer, in orderId order, a page at a time',
    role: 'read',
    query: ['status', 'customerId', 'limit', 'cursor'],
    responses: { 200: { description: 'One page', schema: 'OrderPage' } },
    errors: ['VALIDATION_FAILED'],
  },
  {
    method: 'get',
    path: '/customers/:customerId/orders',
    operationId: 'listCustomerOrders',
    summary: "A customer's orders, a page at a time",
    role: 'read',
    query: ['status', 'limit', 'cursor'],
    responses: { 200: { description: 'One page', schema: 'OrderPage' } },
    errors: ['VALIDATION_FAILED'],
  },
  {
    method: 'get',
    path: '/stats/orders',
    operationId: 'orderStatistics',
    summary: 'Revenue and counts over orders created in [from, to)',
    role: 'read',
    query: ['from', 'to'],
    responses: { 200: { description: 'Statistics in exact cents, as numbers with at most 2 decimals', schema: 'Statistics' } },
    errors: ['VALIDATION_FAILED'],
  },
  {
    method: 'get',
    path: '/analytics/revenue',
    operationId: 'revenue',
    summary: 'Orders, total and net revenue per hour, day or month of creation, empty buckets included',
    role: 'read',
    query: ['from', 'to', 'granularity'],
    responses: { 200: { description: 'One bucket per hour, day or month of [from, to)', schema: 'RevenueSeries' } },
    errors: ['VALIDATION_FAILED'],
  },
  {
    method: 'get',
    path: '/analytics/top-products',
    operationId: 'topProducts',
    summary: 'Units and revenue per product over orders created in [from, to) and not cancelled, best first',
    role: 'read',
    query: ['from', 'to', 'shortLimit'],
    responses: { 200: { description: 'The products', schema: 'TopProducts' } },
    errors: ['VALIDATION_FAILED'],
  },
  {
    method: 'get',
    path: '/analytics/recent-orders',
    operationId: 'recentOrders',
    summary: 'The most recently created orders, newest first (for the dashboard)',
    role: 'read',
    query: ['shortLimit'],
    responses: { 200: { description: 'The orders', schema: 'RecentOrders' } },
    errors: ['VALIDATION_FAILED'],
  },
  {
    method: 'post',
    path: '/analytics/sql',
    operationId: 'analyticsSql',
    summary: 'One read-only SELECT on ClickHouse (admin keys): readonly, at most 10,000 rows, 20 MiB and 10 s',
    role: 'admin',
    body: ANALYST_SQL_BODY,
    responses: { 200: { description: 'Columns with their types, then the rows', schema: 'SqlAnswer' } },
    errors: [...BODY_ERRORS, 'SQL_NOT_ALLOWED', 'SQL_FAILED', 'SQL_LIMIT_EXCEEDED'],
  },
  {
    method: 'post',
    path: '/admin/projections/rebuild',
    operationId: 'rebuildProjections',
    summary: 'Refill every read model from the event log',
    role: 'admin',
    responses: { 200: { description: 'NDJSON: {progress} lines, then {done} or {error}', mediaType: 'application/x-ndjson', schema: 'RebuildLine' } },
    errors: ['REBUILD_RUNNING'],
  },
  {
    method: 'post',
    path: '/admin/events/redeliver',
    operationId: 'redeliverRefusedEvents',
    summary: 'Ask every order holding an event the event log refused to deliver it again (once the cause is fixed)',
    role: 'admin',
    responses: { 202: { description: 'The orders asked; each delivers its held events in order', schema: 'Redelivery' } },
    errors: [],
  },
  {
    method: 'get',
    path: '/healthz',
    operationId: 'health',
    summary: 'Liveness',
    role: 'none',
    responses: { 200: { description: 'The process answers', schema: 'Health' } },
    errors: [],
  },
  {
    method: 'get',
    path: '/readyz',
    operationId: 'readiness',
    summary: 'Readiness: Temporal, ClickHouse and the schema, the worker',
    role: 'none',
    responses: { 200: { description: 'Ready', schema: 'Readiness' }, 503: { description: 'Not ready; checks say what is missing', schema: 'Readiness' } },
    errors: [],
  },
  {
    method: 'get',
    path: '/metrics',
    operationId: 'metrics',
    summary: 'Prometheus metrics of this process (and of the Temporal SDK when its exporter runs)',
    role: 'read',
    responses: { 200: { description: 'Prometheus text format', mediaType: 'text/plain' } },
    errors: [],
  },
  {
    method: 'get',
    path: '/openapi.json',
    operationId: 'openapi',
    summary: 'This document',
    role: 'none',
    responses: { 200: { description: 'OpenAPI 3.1', mediaType: 'application/json' } },
    errors: [],
  },
  {
    method: 'get',
    path: '/docs',
    operationId: 'docs',
    summary: 'Interactive documentation (Swagger UI, served from npm)',
    role: 'none',
    responses: { 200: { description: 'HTML', mediaType: 'text/html' } },
    errors: [],
  },
  {
    method: 'get',
    path: '/',
    operationId: 'dashboard',
    summary: 'The dashboard (reads this API with the key its user gives)',
    role: 'none',
    responses: { 200: { description: 'HTML', mediaType: 'text/html' } },
    errors: [],
  },
  {
    method: 'get',
    path: '/dashboard/config.json',
    operationId: 'dashboardConfig',
    summary: "The dashboard's settings: where the Temporal Web UI is",
    role: 'none',
    responses: { 200: { description: '{temporalUiUrl, namespace}', mediaType: 'application/json' } },
    errors: [],
  },
  {
    method: 'get',
    path: '/dashboard/:asset',
    operationId: 'dashboardAsset',
    summary: 'A file of the dashboard (its script, style, and Chart.js from npm)',
    role: 'none',
    responses: { 200: { description: 'JavaScript or CSS', mediaType: 'application/octet-stream' } },
    errors: ['NOT_FOUND'],
  },
  {
    method: 'get',
    path: '/docs/:asset',
    operationId: 'docsAsset',
    summary: 'A file of the interactive documentation',
    role: 'none',
    responses: { 200: { description: 'JavaScript or CSS', mediaType: 'application/octet-stream' } },
    errors: ['NOT_FOUND'],
  },
];

/** Every code a route answers: its own, its role's, and those any request may meet. */
export function errorCodesOf(operation: Operation): ErrorCode[] {
  const codes = new Set<ErrorCode>(operation.errors);
  if (operation.role !== 'none') ['UNAUTHORIZED', 'FORBIDDEN', 'RATE_LIMITED'].forEach((code) => codes.add(code as ErrorCode));
  if (operation.role !== 'none') ['INTERNAL', 'UNAVAILABLE'].forEach((code) => codes.add(code as ErrorCode));
  ['METHOD_NOT_ALLOWED', 'HEADERS_TOO_LARGE', 'MALFORMED_REQUEST'].forEach((code) => codes.add(code as ErrorCode));
  return [...codes];
}

function fieldSchema(spec: FieldSpec): Schema {
  const base = { description: spec.description };
  switch (spec.kind) {
    case 'id':
      return { ...base, type: 'string', minLength: 1, maxLength: LIMITS.idMaxLength, pattern: ID_PATTERN.source };
    case 'text':
      return { ...base, type: 'string', minLength: 1, maxLength: spec.maxLength };
    case 'quantity':
      return { ...base, type: 'integer', minimum: 1, maximum: LIMITS.maxQuantity };
    case 'price':
      return { ...base, type: 'number', minimum: 0, maximum: LIMITS.maxPriceCents / 100, multipleOf: 0.01 };
    case 'status':
      return { ...base, type: 'string', enum: [...ORDER_STATUSES] };
    case 'list':
      return { ...base, type: 'array', minItems: 1, maxItems: spec.maxItems, items: bodySchema(spec.of) };
    case 'params':
      return {
        ...base,
        type: 'object',
        maxProperties: ANALYST_LIMITS.maxParams,
        propertyNames: { pattern: '^[A-Za-z_][A-Za-z0-9_]{0,63}$' },
        additionalProperties: { type: ['string', 'number', 'boolean', 'array'], items: { type: ['string', 'number', 'boolean'] } },
      };
  }
}

export function bodySchema(spec: BodySpec): Schema {
  return {
    type: 'object',
    additionalProperties: false,
    required: Object.entries(spec.fields)
      .filter(([, field]) => field.required)
      .map(([name]) => name),
    properties: Object.fromEntries(Object.entries(spec.fields).map(([name, field]) => [name, fieldSchema(field)])),
  };
}

const ref = (name: string) => ({ $ref: `#/components/schemas/${name}` });
const money = { type: 'number', multipleOf: 0.01, description: 'An amount in the currency of the prices, exact to the cent' };
const instant = { type: 'string', format: 'date-time' };
const status = { type: 'string', enum: [...ORDER_STATUSES] };

const COMPONENTS: Record<string, Schema> = {
  OrderLine: {
    type: 'object',
    required: ['productId', 'quantity', 'price'],
    properties: { productId: { type: 'string' }, productName: { type: 'string' }, quantity: { type: 'integer' }, price: money },
  },
  Order: {
    type: 'object',
    description: 'The write model, as the order workflow holds it',
    required: ['orderId', 'customerId', 'customerName', 'items', 'itemCount', 'total', 'status', 'createdAt', 'updatedAt', 'version'],
    properties: {
      orderId: { type: 'string' },
      customerId: { type: 'string' },
      customerName: { type: 'string' },
      items: { type: 'array', items: ref('OrderLine') },
      itemCount: { type: 'integer' },
      total: money,
      status,
      createdAt: instant,
      updatedAt: instant,
      version: { type: 'integer', minimum: 1, description: 'One per event; read models catch up to it' },
    },
  },
  OrderView: {
    type: 'object',
    description: 'An order from the read model (no line items); with consistency=strong, the Order',
    required: ['orderId', 'customerId', 'customerName', 'itemCount', 'total', 'status', 'createdAt', 'updatedAt', 'version'],
    properties: {
      orderId: { type: 'string' },
      customerId: { type: 'string' },
      customerName: { type: 'string' },
      items: { type: 'array', items: ref('OrderLine') },
      itemCount: { type: 'integer' },
      total: money,
      status,
      createdAt: instant,
      updatedAt: instant,
      version: { type: 'integer', minimum: 1 },
    },
  },
  OrderPage: {
    type: 'object',
    required: ['orders'],
    properties: { orders: { type: 'array', items: ref('OrderView') }, nextCursor: { type: 'string', description: 'Pass as cursor for the next page' } },
  },
  Statistics: {
    type: 'object',
    required: ['from', 'to', 'totalOrders', 'totalRevenue', 'netRevenue', 'averageOrderValue', 'ordersByStatus'],
    properties: {
      from: instant,
      to: instant,
      totalOrders: { type: 'integer' },
      totalRevenue: money,
      netRevenue: { ...money, description: 'Revenue without cancelled orders' },
      averageOrderValue: money,
      ordersByStatus: { type: 'object', additionalProperties: { type: 'integer' }, propertyNames: status },
    },
  },
  Accepted: { type: 'object', required: ['orderId', 'commandId'], properties: { orderId: { type: 'string' }, commandId: { type: 'string' } } },
  CommandOutcome: {
    type: 'object',
    required: ['commandId', 'accepted'],
    properties: {
      commandId: { type: 'string' },
      accepted: { type: 'boolean' },
      version: { type: 'integer' },
      status,
      updatedAt: instant,
      code: { type: 'string', description: 'Why it was rejected' },
      message: { type: 'string' },
    },
  },
  Health: { type: 'object', required: ['status'], properties: { status: { const: 'ok' } } },
  Readiness: {
    type: 'object',
    required: ['status', 'checks'],
    properties: {
      status: { enum: ['ready', 'not ready'] },
      checks: { type: 'object', additionalProperties: { type: 'string' } },
      detail: {
        type: 'object',
        description: 'What an operator should know that does not make the service unready',
        properties: {
          refusedEvents: {
            type: 'object',
            properties: {
              waiting: { type: 'integer' },
              oldest: { type: 'array', items: ref('RefusedEvent') },
              action: { type: 'string' },
            },
          },
        },
      },
    },
  },
  RevenueSeries: {
    type: 'object',
    required: ['from', 'to', 'granularity', 'buckets'],
    properties: {
      from: instant,
      to: instant,
      granularity: { enum: ['hour', 'day', 'month'] },
      buckets: {
        type: 'array',
        items: {
          type: 'object',
          required: ['start', 'orders', 'cancelledOrders', 'totalRevenue', 'netRevenue'],
          properties: { start: instant, orders: { type: 'integer' }, cancelledOrders: { type: 'integer' }, totalRevenue: money, netRevenue: money },
        },
      },
    },
  },
  TopProducts: {
    type: 'object',
    required: ['from', 'to', 'products'],
    properties: {
      from: instant,
      to: instant,
      products: {
        type: 'array',
        items: {
          type: 'object',
          required: ['productId', 'units', 'orders', 'revenue'],
          properties: { productId: { type: 'string' }, units: { type: 'integer' }, orders: { type: 'integer' }, revenue: money },
        },
      },
    },
  },
  RecentOrders: { type: 'object', required: ['orders'], properties: { orders: { type: 'array', items: ref('OrderView') } } },
  SqlAnswer: {
    type: 'object',
    required: ['columns', 'rows', 'rowCount', 'statistics'],
    properties: {
      columns: { type: 'array', items: { type: 'object', properties: { name: { type: 'string' }, type: { type: 'string', description: 'ClickHouse type' } } } },
      rows: { type: 'array', items: { type: 'object', description: 'Column name → value (64-bit integers as strings)' } },
      rowCount: { type: 'integer' },
      statistics: { type: 'object', properties: { elapsedSeconds: { type: 'number' }, rowsRead: { type: 'integer' }, bytesRead: { type: 'integer' } } },
    },
  },
  Redelivery: {
    type: 'object',
    required: ['asked', 'failed', 'remaining'],
    properties: {
      asked: { type: 'array', items: ref('RefusedEvent') },
      failed: { type: 'array', items: { type: 'object', properties: { orderId: { type: 'string' }, error: { type: 'string' } } } },
      remaining: { type: 'integer', description: 'refused events left for a further call' },
    },
  },
  RefusedEvent: {
    type: 'object',
    required: ['orderId', 'eventId', 'version', 'reason', 'refusedAt'],
    properties: { orderId: { type: 'string' }, eventId: { type: 'string' }, version: { type: 'integer' }, reason: { type: 'string' }, refusedAt: instant },
  },
  RebuildLine: { type: 'object', properties: { progress: { type: 'object' }, done: { type: 'object' }, error: { type: 'string' } } },
  Problem: {
    type: 'object',
    description: 'RFC 9457 problem details with a stable code',
    required: ['type', 'title', 'status', 'detail', 'code'],
    properties: {
      type: { type: 'string' },
      title: { type: 'string' },
      status: { type: 'integer' },
      detail: { type: 'string' },
      code: { type: 'string', enum: Object.keys(HTTP_STATUS) },
      errors: {
        type: 'array',
        items: { type: 'object', required: ['field', 'message'], properties: { field: { type: 'string' }, message: { type: 'string' } } },
      },
      requestId: { type: 'string' },
    },
  },
};

const HEADERS: Record<string, Schema> = {
  'Idempotency-Key': {
    name: 'Idempotency-Key',
    in: 'header',
    description: 'The command id: the same key answers with the first outcome and records nothing new',
    schema: { type: 'string', minLength: 1, maxLength: LIMITS.idMaxLength },
  },
  Prefer: {
    name: 'Prefer',
    in: 'header',
    description: '`respond-async`: answer 202 at once; see the Location',
    schema: { type: 'string', enum: ['respond-async'] },
  },
  'X-Correlation-Id': {
    name: 'X-Correlation-Id',
    in: 'header',
    description: 'Carried into the workflow and the event (defaults to the request id)',
    schema: { type: 'string', pattern: '^[A-Za-z0-9._:-]{1,128}$' },
  },
};

export function openApiPath(path: string): string {
  return path.replace(/:(\w+)/g, '{$1}');
}

function operationObject(operation: Operation): Schema {
  const parameters: Schema[] = [];
  for (const match of operation.path.matchAll(/:(\w+)/g)) {
    parameters.push({
      name: match[1],
      in: 'path',
      required: true,
      schema:
        match[1] === 'asset'
          ? { type: 'string' }
          : { type: 'string', maxLength: LIMITS.idMaxLength, ...(match[1] === 'commandId' ? {} : { pattern: ID_PATTERN.source }) },
    });
  }
  for (const id of operation.query ?? []) {
    const { name, ...spec } = { name: id, ...QUERY_PARAMS[id] };
    parameters.push({ name, in: 'query', required: false, ...spec });
  }
  for (const header of operation.headers ?? []) parameters.push(HEADERS[header]);

  const responses: Record<string, Schema> = {};
  for (const [code, response] of Object.entries(operation.responses)) {
    const mediaType = response.mediaType ?? 'application/json';
    responses[code] = { description: response.description, content: { [mediaType]: response.schema ? { schema: ref(response.schema) } : {} } };
  }
  const byStatus = new Map<number, ErrorCode[]>();
  for (const code of errorCodesOf(operation)) byStatus.set(HTTP_STATUS[code], [...(byStatus.get(HTTP_STATUS[code]) ?? []), code]);
  for (const [httpStatus, codes] of [...byStatus.entries()].sort(([a], [b]) => a - b)) {
    responses[String(httpStatus)] = {
      description: codes.join(', '),
      content: { 'application/problem+json': { schema: { allOf: [ref('Problem'), { properties: { code: { enum: codes } } }] } } },
    };
  }
  return {
    operationId: operation.operationId,
    summary: operation.summary,
    ...(operation.role === 'none' ? { security: [] } : { 'x-required-role': operation.role }),
    ...(parameters.length > 0 ? { parameters } : {}),
    ...(operation.body ? { requestBody: { required: true, content: { 'application/json': { schema: bodySchema(operation.body) } } } } : {}),
    responses,
  };
}

export function openApiDocument(version: string): Schema {
  const paths: Record<string, Record<string, Schema>> = {};
  for (const operation of OPERATIONS) {
    const path = openApiPath(operation.path);
    paths[path] = { ...(paths[path] ?? {}), [operation.method]: operationObject(operation) };
  }
  return {
    openapi: '3.1.0',
    info: {
      title: 'Orders',
      version,
      description:
        'A CQRS order service: each order is a durable Temporal workflow; its events go to ClickHouse, whose read models answer queries. ' +
        `Bodies are at most ${LIMITS.maxBodyBytes} bytes; every refusal is application/problem+json with a stable code.`,
    },
    components: {
      schemas: COMPONENTS,
      securitySchemes: { apiKey: { type: 'http', scheme: 'bearer', description: 'API_KEYS secret; roles read < write < admin' } },
    },
    security: [{ apiKey: [] }],
    paths,
  };
}
