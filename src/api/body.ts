import type { Context } from 'koa';
import { DomainError } from '../domain/errors';
import { LIMITS } from '../domain/validation';

/**
 * Reads a JSON request body, at most `LIMITS.maxBodyBytes`. An empty body reads as undefined (the
 * validator then says what is missing); a body over the limit is refused before it is buffered
 * whole.
 */
export async function readJsonBody(ctx: Context): Promise<unknown> {
  const declared = Number(ctx.get('Content-Length') || 0);
  if (declared > LIMITS.maxBodyBytes) {
    ctx.set('Connection', 'close');
    throw tooLarge();
  }
  const body = await new Promise<Buffer>((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let refused = false;
    ctx.req.on('data', (chunk: Buffer) => {
      if (refused) return;
      size += chunk.length;
      if (size > LIMITS.maxBodyBytes) {
        // Keep draining (and discarding) so the 413 reaches the client; then close the connection.
        refused = true;
        chunks.length = 0;
        ctx.set('Connection', 'close');
        reject(tooLarge());
        return;
      }
      chunks.push(chunk);
    });
    ctx.req.once('end', () => resolve(Buffer.concat(chunks)));
    ctx.req.once('error', reject);
  });
  const size = body.length;
  if (size === 0) return undefined;
  if (!ctx.is('application/json', '+json')) {
    throw new DomainError('UNSUPPORTED_MEDIA_TYPE', 'send the body as JSON with Content-Type: application/json');
  }
  const text = body.toString('utf8');
  try {
    return JSON.parse(text);
  } catch (error) {
    throw new DomainError('VALIDATION_FAILED', `body: is not valid JSON (${(error as Error).message})`, [
      { field: 'body', message: 'is not valid JSON' },
    ]);
  }
}

function tooLarge(): DomainError {
  return new DomainError('PAYLOAD_TOO_LARGE', `the body must be at most ${LIMITS.maxBodyBytes} bytes`);
}
