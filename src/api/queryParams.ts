/** The query parameters of the API, each a schema: what it accepts, its default, how the document describes it. */
import * as z from 'zod';
import { decodeEventCursor } from '../clickhouse/history';
import { decodeCursor } from '../clickhouse/orderQueries';
import { DomainError, validationFailed } from '../domain/errors';
import { COMMAND_SCHEMAS, id, LIMITS } from '../domain/commands';

/** Most buckets one revenue request may ask for (a month by hour, three years by day). */
export const MAX_BUCKETS = 2000;
export const MAX_SHORT_LIST = 100;

/** A whole number from min to max, written in digits. */
function wholeNumber(min: number, max: number, description: string) {
  const message = `must be an integer from ${min} to ${max}`;
  return z
    .preprocess((raw) => (typeof raw === 'string' && /^\d{1,15}$/.test(raw) ? Number(raw) : raw), z.int(message).min(min, message).max(max, message))
    .meta({ description });
}

/**
 * Instants the read models can hold: a query for a time before or after them is a query for their
 * first or last instant, which holds the same orders (none before the service ran).
 */
const EARLIEST = Date.parse('1970-01-01T00:00:00Z');
const LATEST = Date.parse('2299-12-31T23:59:59.999Z');

/** An RFC 3339 date (midnight UTC) or date-time with its zone. */
function instant(description: string) {
  return z
    .union([z.iso.date(), z.iso.datetime({ offset: true })], { error: 'must be a date (2026-11-01) or a date-time with its zone (2026-11-01T00:00:00Z)' })
    .transform((text) => new Date(Math.min(LATEST, Math.max(EARLIEST, Date.parse(text.length === 10 ? `${text}T00:00:00Z` : text)))))
    .meta({ description, examples: ['2026-11-01', '2026-11-01T00:00:00Z'] });
}

export const LIMIT = wholeNumber(1, LIMITS.maxPageSize, `Page size, 1 to ${LIMITS.maxPageSize}`).default(LIMITS.defaultPageSize);
export const SHORT_LIMIT = wholeNumber(1, MAX_SHORT_LIST, `How many to answer, 1 to ${MAX_SHORT_LIST}`).default(10);
export const NOT_ISSUED = 'is not a cursor this API issued';

/** A page's cursor, read back into the position it stands for; one of another list, or made up, is refused. */
function cursor<Position>(decode: (cursor: string) => Position | undefined) {
  return z
    .string()
    .max(1024)
    .regex(/^[A-Za-z0-9_-]+$/, { error: NOT_ISSUED, abort: true })
    .refine((cursor) => decode(cursor) !== undefined, NOT_ISSUED)
    .transform((cursor) => decode(cursor)!)
    .meta({ description: 'The nextCursor of the previous page' });
}

export const CURSOR = cursor(decodeCursor);
export const EVENT_CURSOR = cursor(decodeEventCursor);
export const STATUS_FILTER = COMMAND_SCHEMAS.ORDER_STATUS.meta({ description: 'Only orders in this status' });
export const CUSTOMER_FILTER = id("Only this customer's orders");
export const FROM = instant('Start of the half-open range on createdAt: a date (midnight UTC) or a date-time with its zone; default: 30 days before to');
export const TO = instant('End of the range, excluded; default: now');
/** An instant in the past, checked against the clock by the route that reads it. */
export const AS_OF = instant('An instant in the past: a date (midnight UTC) or a date-time with its zone');
/** How long `?minVersion=` waits at most for the read models. */
export const MIN_VERSION_WAIT_MS = 5000;
export const MIN_VERSION = wholeNumber(
  1,
  999_999_999,
  `Wait (at most ${MIN_VERSION_WAIT_MS / 1000} s) until every read model has this version of the order (so lists and statistics count it); X-Read-Model-Version-Reached says whether they did`,
);
export const CONSISTENCY = z
  .enum(['eventual', 'strong'])
  .default('eventual')
  .meta({ description: 'strong: read the order from its workflow (the write model) instead of the read model' });
export const GRANULARITY = z
  .enum(['hour', 'day', 'month'])
  .default('day')
  .meta({ description: `Bucket size; at most ${MAX_BUCKETS} buckets per request` });

/** `asOf`, refused when it is later than now: the past is known, the future is not. */
export function pastInstant(asOf: Date | undefined, now: Date): Date | undefined {
  if (asOf && asOf.getTime() > now.getTime()) throw validationFailed([{ field: 'asOf', message: 'must not be in the future' }]);
  return asOf;
}

const DAY_MS = 24 * 60 * 60 * 1000;

/** The half-open range [from, to) a request asks about; by default the 30 days up to `end` (now, or the instant asked about). */
export function rangeOf(query: { from?: Date; to?: Date }, end: Date): { from: Date; to: Date } {
  const to = query.to ?? end;
  const from = query.from ?? new Date(to.getTime() - 30 * DAY_MS);
  if (from.getTime() >= to.getTime()) throw new DomainError('VALIDATION_FAILED', 'from: must be before to', [{ field: 'from', message: 'must be before to' }]);
  return { from, to };
}

export const RANGE = z.object({ from: FROM.optional(), to: TO.optional() });

/** A range of creation times, each order counted with its status as of a past instant, or now. */
export const RANGE_AS_OF = RANGE.extend({
  asOf: AS_OF.optional().meta({
    description:
      'Count each order as it stood at this instant (an order cancelled later counts as not cancelled; one created later, not at all); not in the future; default: now, and to defaults to it',
  }),
});

/** The range and the instant a request asks about, each checked. */
export function rangeAsOf(query: z.output<typeof RANGE_AS_OF>, now: Date): { from: Date; to: Date; asOf?: Date } {
  const asOf = pastInstant(query.asOf, now);
  return { ...rangeOf(query, asOf ?? now), asOf };
}
