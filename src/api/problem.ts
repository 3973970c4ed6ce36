/**
 * Errors leave the API as RFC 9457 problem details (`application/problem+json`) with a stable
 * `code`. This middleware sits first in the chain and is the only place that maps errors to HTTP;
 * it shows a client only messages marked safe (DomainError), never a stack trace or SQL. A refusal
 * is not an error of the service: only what is neither a DomainError nor a dependency being away
 * is logged as one.
 */
import type { Duplex } from 'node:stream';
import type { Context, Next } from 'koa';
import { DomainError, ErrorCode, FieldError } from '../domain/errors';

export const HTTP_STATUS: Record<ErrorCode, number> = {
  VALIDATION_FAILED: 400,
  UNAUTHORIZED: 401,
  FORBIDDEN: 403,
  RATE_LIMITED: 429,
  NOT_FOUND: 404,
  ORDER_NOT_FOUND: 404,
  METHOD_NOT_ALLOWED: 405,
  METHOD_NOT_IMPLEMENTED: 501,
  ORDER_ALREADY_EXISTS: 409,
  INVALID_TRANSITION: 409,
  REBUILD_RUNNING: 409,
  PAYLOAD_TOO_LARGE: 413,
  HEADERS_TOO_LARGE: 431,
  MALFORMED_REQUEST: 400,
  SQL_NOT_ALLOWED: 400,
  SQL_FAILED: 400,
  SQL_LIMIT_EXCEEDED: 400,
  UNSUPPORTED_MEDIA_TYPE: 415,
  INTERNAL: 500,
  UNAVAILABLE: 503,
};

const TITLES: Record<ErrorCode, string> = {
  VALIDATION_FAILED: 'The request is not valid',
  UNAUTHORIZED: 'Authentication is required',
  FORBIDDEN: 'This key may not do that',
  RATE_LIMITED: 'Too many requests',
  NOT_FOUND: 'No such resource',
  ORDER_NOT_FOUND: 'No such order',
  METHOD_NOT_ALLOWED: 'Method not allowed',
  METHOD_NOT_IMPLEMENTED: 'Method not implemented',
  ORDER_ALREADY_EXISTS: 'The order already exists',
  INVALID_TRANSITION: 'The order cannot make that change',
  REBUILD_RUNNING: 'A rebuild of the read models is already running',
  PAYLOAD_TOO_LARGE: 'The request body is too large',
  HEADERS_TOO_LARGE: 'The request line or headers are too large',
  MALFORMED_REQUEST: 'The request is not valid HTTP',
  SQL_NOT_ALLOWED: 'Only one read-only SELECT statement is allowed',
  SQL_FAILED: 'ClickHouse refused the statement',
  SQL_LIMIT_EXCEEDED: "The statement reached a limit of analysts' queries",
  UNSUPPORTED_MEDIA_TYPE: 'The request body must be JSON',
  INTERNAL: 'Internal error',
  UNAVAILABLE: 'A dependency is unavailable',
};

export interface Problem {
  type: string;
  title: string;
  status: number;
  detail: string;
  code: ErrorCode;
  errors?: FieldError[];
  requestId?: string;
}

export function problemFor(error: DomainError, requestId?: string): Problem {
  const problem: Problem = {
    type: `https://orders.example/problems/${error.code.toLowerCase().replace(/_/g, '-')}`,
    title: TITLES[error.code],
    status: HTTP_STATUS[error.code],
    detail: error.message,
    code: error.code,
  };
  if (error.fieldErrors.length > 0) problem.errors = error.fieldErrors;
  if (requestId) problem.requestId = requestId;
  return problem;
}

/**
 * Requests that Node's HTTP parser refuses before any middleware sees them (a URL or headers over
 * its 16 KiB limit, broken HTTP) still get a problem+json answer, then the connection is closed.
 */
export function answerClientError(error: Error & { code?: string }, socket: Duplex): void {
  if (!socket.writable) return void socket.destroy();
  const refusal = PARSER_REFUSALS[error.code ?? ''] ?? PARSER_REFUSALS.default;
  const problem = problemFor(new DomainError(refusal.code, refusal.detail));
  const body = JSON.stringify(problem);
  socket.end(
    `HTTP/1.1 ${problem.status} ${refusal.reason}\r\n` +
      'Content-Type: application/problem+json\r\n' +
      `Content-Length: ${Buffer.byteLength(body)}\r\n` +
      'Connection: close\r\n\r\n' +
      body,
  );
}

/** What Node's HTTP parser refuses, by its error code, as the client is told. */
const PARSER_REFUSALS: Record<string, { code: ErrorCode; reason: string; detail: string }> = {
  HPE_HEADER_OVERFLOW: {
    code: 'HEADERS_TOO_LARGE',
    reason: 'Request Header Fields Too Large',
    detail: 'the request line and headers must be at most 16 KiB in all; ids and query values are far shorter',
  },
  // A method no HTTP server knows; one this API does not take on a path answers 405 with Allow.
  HPE_INVALID_METHOD: { code: 'METHOD_NOT_IMPLEMENTED', reason: 'Not Implemented', detail: 'the request method is not one this service knows' },
  default: { code: 'MALFORMED_REQUEST', reason: 'Bad Request', detail: 'the request could not be parsed as HTTP/1.1' },
};

const NETWORK_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EHOSTUNREACH', 'ENOTFOUND', 'EPIPE', 'ECONNABORTED']);

/**
 * Errors of a dependency being away (not of our code): answered 503 so clients retry. An error
 * ClickHouse raised (a numeric code) is an answer, not an absence, even when it speaks of a
 * timeout: a statement stopped by its own time limit would only be stopped again.
 */
export function isUnavailable(error: unknown): boolean {
  const code = (error as { code?: unknown })?.code;
  if (typeof code === 'string' && NETWORK_CODES.has(code)) return true;
  if (typeof code === 'string' && /^\d+$/.test(code)) return false;
  const message = error instanceof Error ? error.message : '';
  return /timeout|socket hang up|connect ECONNREFUSED/i.test(message);
}

export function problemMiddleware() {
  return async (ctx: Context, next: Next): Promise<void> => {
    try {
      await next();
    } catch (error) {
      let known = error instanceof DomainError ? error : undefined;
      if (!known && isUnavailable(error)) {
        ctx.state.log?.warn({ err: error }, 'dependency unavailable');
        known = new DomainError('UNAVAILABLE', 'a dependency of the service is unavailable; retry shortly');
      }
      if (!known) {
        ctx.state.log?.error({ err: error }, 'unhandled error');
        known = new DomainError('INTERNAL', 'the service failed to handle the request');
      }
      const problem = problemFor(known, ctx.state.requestId as string | undefined);
      ctx.status = problem.status;
      ctx.type = 'application/problem+json';
      ctx.body = problem;
      if (problem.status === 503) ctx.set('Retry-After', '1');
    }
  };
}
