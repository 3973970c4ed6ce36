/**
 * Errors leave the API as RFC 9457 problem details (`application/problem+json`) with a stable
 * `code`. This middleware sits first in the chain and is the only place that maps errors to HTTP;
 * it shows a client only messages marked safe (DomainError), never a stack trace or SQL.
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
  const tooLarge = error.code === 'HPE_HEADER_OVERFLOW';
  const problem = problemFor(
    tooLarge
      ? new DomainError('HEADERS_TOO_LARGE', 'the request line and headers must be at most 16 KiB in all; ids and query values are far shorter')
      : new DomainError('MALFORMED_REQUEST', 'the request could not be parsed as HTTP/1.1'),
  );
  const body = JSON.stringify(problem);
  socket.end(
    `HTTP/1.1 ${problem.status} ${tooLarge ? 'Request Header Fields Too Large' : 'Bad Request'}\r\n` +
      'Content-Type: application/problem+json\r\n' +
      `Content-Length: ${Buffer.byteLength(body)}\r\n` +
      'Connection: close\r\n\r\n' +
      body,
  );
}

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

/** Koa's own HTTP errors (from the router, for instance) carry a status; give them our shape. */
function fromHttpError(error: unknown): DomainError | undefined {
  const status = (error as { status?: unknown })?.status;
  if (typeof status !== 'number' || !(error as { expose?: boolean }).expose) return undefined;
  if (status === 404) return new DomainError('NOT_FOUND', 'no such resource');
  if (status === 405 || status === 501) return new DomainError('METHOD_NOT_ALLOWED', (error as Error).message);
  if (status === 413) return new DomainError('PAYLOAD_TOO_LARGE', (error as Error).message);
  if (status === 415) return new DomainError('UNSUPPORTED_MEDIA_TYPE', (error as Error).message);
  if (status >= 400 && status < 500) return new DomainError('VALIDATION_FAILED', (error as Error).message);
  return undefined;
}

export function problemMiddleware() {
  return async (ctx: Context, next: Next): Promise<void> => {
    try {
      await next();
      if (ctx.status === 404 && ctx.body === undefined) throw new DomainError('NOT_FOUND', `no route for ${ctx.method} ${ctx.path}`);
    } catch (error) {
      let known = error instanceof DomainError ? error : fromHttpError(error);
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
      if (problem.status === 405 && (error as { headers?: Record<string, string> }).headers?.Allow) {
        ctx.set('Allow', (error as { headers: Record<string, string> }).headers.Allow);
      }
    }
  };
}
