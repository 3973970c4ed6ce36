import type { Context } from 'koa';
import { DomainError } from '../domain/errors';
import { LIMITS } from '../domain/validation';

/**
 * A body over the limit is still read to its end (and thrown away) so that the client, still
 * sending, gets the 413 instead of a reset connection; past this much, the connection is cut.
 */
const DISCARD_AT_MOST = 32 * 1024 * 1024;

/**
 * Reads a JSON request body, at most `LIMITS.maxBodyBytes`. An empty body reads as undefined (the
 * validator then says what is missing); a body over the limit is refused without being kept.
 */
export async function readJsonBody(ctx: Context): Promise<unknown> {
  const declared = Number(ctx.get('Content-Length') || 0);
  const body = await new Promise<Buffer>((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let refused = declared > LIMITS.maxBodyBytes;
    if (refused) ctx.set('Connection', 'close');
    if (declared > DISCARD_AT_MOST) {
      reject(tooLarge());
      return;
    }
    ctx.req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > DISCARD_AT_MOST) {
        ctx.req.destroy();
        reject(tooLarge());
        return;
      }
      if (refused) return;
      if (size > LIMITS.maxBodyBytes) {
        refused = true;
        chunks.length = 0;
        ctx.set('Connection', 'close');
        return;
      }
      chunks.push(chunk);
    });
    ctx.req.once('end', () => (refused ? reject(tooLarge()) : resolve(Buffer.concat(chunks))));
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
    throw new DomainError('VALIDATION_FAILED', `body: is not valid JSON (${(error as Error).message})`, [{ field: 'body', message: 'is not valid JSON' }]);
  }
}

function tooLarge(): DomainError {
  return new DomainError('PAYLOAD_TOO_LARGE', `the body must be at most ${LIMITS.maxBodyBytes} bytes`);
}
