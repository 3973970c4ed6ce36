/**
 * Reads a JSON request body with co-body: at most `LIMITS.maxBodyBytes` once decompressed
 * (gzip, deflate and br are accepted), `__proto__` keys refused. The route's schema then judges it.
 */
import coBody from 'co-body';
import type { Context } from 'koa';
import { LIMITS } from '../domain/commands';
import { DomainError } from '../domain/errors';

/** The parsed body, or undefined when the request has none (the schema then says it is required). */
export async function readJsonBody(ctx: Context): Promise<unknown> {
  const type = ctx.request.is('application/json', '+json');
  if (type === null || ctx.request.length === 0) return undefined;
  if (type === false) throw new DomainError('UNSUPPORTED_MEDIA_TYPE', 'send the body as JSON with Content-Type: application/json');
  try {
    const body: unknown = await coBody.json(ctx.req, { limit: LIMITS.maxBodyBytes, strict: false });
    return body === '' ? undefined : body;
  } catch (error) {
    throw refusalOf(ctx, error as Error & { status?: number }) ?? error;
  }
}

/** The refusal a failed read of the body makes, or undefined for a failure of the service's own. */
function refusalOf(ctx: Context, error: Error & { status?: number }): DomainError | undefined {
  if (error.status === 413) {
    // Let the rest of the body drain rather than leave it unread on the connection.
    ctx.req.resume();
    return new DomainError('PAYLOAD_TOO_LARGE', `the body must be at most ${LIMITS.maxBodyBytes} bytes`);
  }
  if (error.status === 415) {
    return new DomainError('UNSUPPORTED_MEDIA_TYPE', `Content-Encoding ${ctx.get('Content-Encoding')} is not supported; send identity, gzip, deflate or br`);
  }
  if (error instanceof SyntaxError) {
    return new DomainError('VALIDATION_FAILED', `body: is not valid JSON (${error.message})`, [{ field: 'body', message: 'is not valid JSON' }]);
  }
  // A body shorter than its Content-Length, or a client gone before it was sent.
  if (error.status === 400) return new DomainError('MALFORMED_REQUEST', `the body could not be read (${error.message})`);
  return undefined;
}
