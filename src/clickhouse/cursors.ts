/**
 * Cursors are opaque to clients: a position in a list, as base64url-encoded JSON. Each list reads
 * back only a position of the shape it issues, so a cursor of another list, or one made up, is
 * refused rather than guessed at.
 */

export function encodePosition(position: Record<string, string | number>): string {
  return Buffer.from(JSON.stringify(position), 'utf8').toString('base64url');
}

/** The position a cursor holds, or undefined when it is not base64url-encoded JSON of an object. */
export function decodePosition(cursor: string): Record<string, unknown> | undefined {
  try {
    const parsed: unknown = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
    return typeof parsed === 'object' && parsed !== null && !Array.isArray(parsed) ? (parsed as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
}
