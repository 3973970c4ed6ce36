/**
 * The OpenAPI 3.1 document, built by zod-openapi from the route declarations: their schemas, their
 * answers, and every refusal each route can give (its own, those of what it reads and of its
 * access, and those of the transport). Served at /openapi.json; /docs renders it with Swagger UI.
 */
import * as z from 'zod';
import { createDocument, ZodOpenApiOperationObject, ZodOpenApiPathsObject, ZodOpenApiResponsesObject } from 'zod-openapi';
import { LIMITS } from '../domain/commands';
import type { ErrorCode } from '../domain/errors';
import { HTTP_STATUS } from './problem';
import type { Contract } from './route';
import { problem, PROBLEM } from './schemas';

/** Refusals any route may give: the transport's, and a method its path does not take or nobody knows. */
const TRANSPORT: ErrorCode[] = ['METHOD_NOT_ALLOWED', 'METHOD_NOT_IMPLEMENTED', 'HEADERS_TOO_LARGE', 'MALFORMED_REQUEST'];
/** A route behind a key: no key, too many requests, and the dependencies it reads or writes. */
const BEHIND_A_KEY: ErrorCode[] = ['UNAUTHORIZED', 'RATE_LIMITED', 'INTERNAL', 'UNAVAILABLE'];

/** Every code a route can answer with. */
export function refusalsOf(route: Contract): ErrorCode[] {
  const codes = new Set<ErrorCode>(route.refusals);
  if (route.params || route.query || route.headers || route.body) codes.add('VALIDATION_FAILED');
  if (route.body) ['PAYLOAD_TOO_LARGE', 'UNSUPPORTED_MEDIA_TYPE'].forEach((code) => codes.add(code as ErrorCode));
  if (route.access !== 'public') BEHIND_A_KEY.forEach((code) => codes.add(code));
  if (route.access === 'write' || route.access === 'admin') codes.add('FORBIDDEN');
  TRANSPORT.forEach((code) => codes.add(code));
  return [...codes];
}

/** Headers that come with a refusal of this status. */
const REFUSAL_HEADERS: Record<number, z.ZodObject> = {
  401: z.object({ 'WWW-Authenticate': z.string() }),
  405: z.object({ Allow: z.string().meta({ description: 'The methods the path takes' }) }),
  429: z.object({ 'Retry-After': z.string().meta({ description: 'Seconds to wait' }) }),
  503: z.object({ 'Retry-After': z.string().meta({ description: 'Seconds to wait' }) }),
};

function responsesOf(route: Contract): ZodOpenApiResponsesObject {
  const responses: ZodOpenApiResponsesObject = {};
  for (const [status, answer] of Object.entries(route.answers)) {
    const mediaTypes = [answer.mediaType ?? 'application/json'].flat();
    responses[status as `${2 | 4 | 5}${string}`] = {
      description: answer.description,
      content: Object.fromEntries(mediaTypes.map((type) => [type, answer.schema ? { schema: answer.schema } : {}])),
      ...(answer.headers ? { headers: answer.headers } : {}),
      ...(answer.links ? { links: answer.links } : {}),
    };
  }
  const byStatus = new Map<number, ErrorCode[]>();
  for (const code of refusalsOf(route)) byStatus.set(HTTP_STATUS[code], [...(byStatus.get(HTTP_STATUS[code]) ?? []), code]);
  for (const [status, codes] of [...byStatus].sort(([a], [b]) => a - b)) {
    responses[`${status}` as `${4 | 5}${string}`] = {
      description: codes.join(', '),
      content: { 'application/problem+json': { schema: problem(codes) } },
      ...(REFUSAL_HEADERS[status] ? { headers: REFUSAL_HEADERS[status] } : {}),
    };
  }
  return responses;
}

function operationOf(route: Contract): ZodOpenApiOperationObject {
  return {
    operationId: route.operationId,
    summary: route.summary,
    ...(route.access === 'public' ? { security: [] } : { 'x-required-role': route.access }),
    requestParams: Object.fromEntries(
      Object.entries({ path: route.params, query: route.query, header: route.headers }).filter(([, schema]) => schema !== undefined),
    ),
    ...(route.body ? { requestBody: { required: true, content: { 'application/json': { schema: route.body } } } } : {}),
    responses: responsesOf(route),
  };
}

export function openApiDocument(routes: Contract[], version: string) {
  const paths: ZodOpenApiPathsObject = {};
  for (const route of routes) paths[route.path] = { ...paths[route.path], [route.method]: operationOf(route) };
  return createDocument({
    openapi: '3.1.0',
    info: {
      title: 'Orders',
      version,
      description:
        'A CQRS order service: each order is a durable Temporal workflow; its events go to ClickHouse, whose read models answer queries. ' +
        `Bodies are at most ${LIMITS.maxBodyBytes} bytes; lengths of text count Unicode code points; every refusal is application/problem+json with a stable code.`,
    },
    components: {
      schemas: { Problem: PROBLEM },
      securitySchemes: { apiKey: { type: 'http', scheme: 'bearer', description: 'API_KEYS secret; roles read < write < admin' } },
    },
    security: [{ apiKey: [] }],
    paths,
  });
}
