/** Parsing of query-string parameters, each failure naming its parameter. */
import { DomainError, validationFailed } from '../domain/errors';
import { isOrderStatus, ORDER_STATUSES, OrderStatus } from '../domain/order';
import { LIMITS, parseId } from '../domain/validation';
import { decodeCursor } from '../clickhouse/orderQueries';
import type { Granularity } from '../clickhouse/analytics';

type Query = Record<string, string | string[] | undefined>;

/** Most buckets one revenue request may ask for (a month by hour, three years by day). */
export const MAX_BUCKETS = 2000;
export const MAX_SHORT_LIST = 100;

/** Every query parameter of the API, as the OpenAPI document describes it; the parsers below use the same bounds. */
export const QUERY_PARAMS = {
  limit: {
    description: `Page size, 1 to ${LIMITS.maxPageSize}`,
    schema: { type: 'integer', minimum: 1, maximum: LIMITS.maxPageSize, default: LIMITS.defaultPageSize },
  },
  cursor: { description: 'The nextCursor of the previous page', schema: { type: 'string', maxLength: 1024 } },
  status: { description: 'Only orders in this status', schema: { type: 'string', enum: [...ORDER_STATUSES] } },
  customerId: { description: "Only this customer's orders", schema: { type: 'string', maxLength: LIMITS.idMaxLength } },
  from: {
    description: 'Start of the half-open range on createdAt, ISO 8601 (a date, or a date-time; no zone means UTC); default: 30 days before to',
    schema: { type: 'string', examples: ['2026-11-01', '2026-11-01T00:00:00Z'] },
  },
  to: { description: 'End of the range, excluded; default: now', schema: { type: 'string', examples: ['2026-12-01'] } },
  minVersion: {
    description:
      'Wait (at most 5 s) until every read model has this version of the order (so lists and statistics count it); X-Read-Model-Version-Reached says whether they did',
    schema: { type: 'integer', minimum: 1, maximum: 999_999_999 },
  },
  consistency: {
    description: 'strong: read the order from its workflow (the write model) instead of the read model',
    schema: { type: 'string', enum: ['eventual', 'strong'], default: 'eventual' },
  },
  granularity: {
    description: `Bucket size; at most ${MAX_BUCKETS} buckets per request`,
    schema: { type: 'string', enum: ['hour', 'day', 'month'], default: 'day' },
  },
  shortLimit: {
    name: 'limit',
    description: `How many to answer, 1 to ${MAX_SHORT_LIST}`,
    schema: { type: 'integer', minimum: 1, maximum: MAX_SHORT_LIST, default: 10 },
  },
} as const;

export type QueryParamName = keyof typeof QUERY_PARAMS;

/** One value of a parameter; a parameter given twice is refused rather than guessed at. */
export function single(query: Query, name: string): string | undefined {
  const value = query[name];
  if (Array.isArray(value)) throw validationFailed([{ field: name, message: 'must be given once' }]);
  return value === '' ? undefined : value;
}

export function parseLimit(query: Query): number {
  const raw = single(query, 'limit');
  if (raw === undefined) return LIMITS.defaultPageSize;
  if (!/^\d{1,6}$/.test(raw) || Number(raw) < 1 || Number(raw) > LIMITS.maxPageSize) {
    throw validationFailed([{ field: 'limit', message: `must be an integer from 1 to ${LIMITS.maxPageSize}` }]);
  }
  return Number(raw);
}

export function parseCursor(query: Query): string | undefined {
  const raw = single(query, 'cursor');
  if (raw === undefined) return undefined;
  const after = raw.length <= 1024 ? decodeCursor(raw) : undefined;
  if (after === undefined) throw validationFailed([{ field: 'cursor', message: 'is not a cursor this API issued' }]);
  return after;
}

export function parseStatusFilter(query: Query): OrderStatus | undefined {
  const raw = single(query, 'status');
  if (raw === undefined) return undefined;
  if (!isOrderStatus(raw)) throw validationFailed([{ field: 'status', message: `must be one of ${ORDER_STATUSES.join(', ')}` }]);
  return raw;
}

export function parseOptionalId(query: Query, name: string): string | undefined {
  const raw = single(query, name);
  return raw === undefined ? undefined : parseId(raw, name);
}

// A calendar date, optionally with a time of day and a zone (Z or ±hh:mm). Without a zone, UTC.
const ISO_8601 = /^(\d{4})-(\d{2})-(\d{2})(?:T(\d{2}):(\d{2})(?::(\d{2})(?:\.\d{1,9})?)?(Z|[+-]\d{2}:\d{2})?)?$/;

/** An ISO 8601 instant; impossible dates (Feb 30, hour 25) are refused, not rolled over. */
export function parseInstant(raw: string, field: string): Date {
  const match = ISO_8601.exec(raw);
  const fail = () => validationFailed([{ field, message: 'must be an ISO 8601 date or date-time, e.g. 2026-11-01 or 2026-11-01T00:00:00Z' }]);
  if (!match) throw fail();
  const [, year, month, day, hour = '00', minute = '00', second = '00', zone] = match;
  const calendar = new Date(Date.UTC(Number(year), Number(month) - 1, Number(day), Number(hour), Number(minute), Number(second)));
  const consistent =
    calendar.getUTCFullYear() === Number(year) &&
    calendar.getUTCMonth() === Number(month) - 1 &&
    calendar.getUTCDate() === Number(day) &&
    calendar.getUTCHours() === Number(hour) &&
    calendar.getUTCMinutes() === Number(minute) &&
    calendar.getUTCSeconds() === Number(second);
  if (!consistent) throw fail();
  const instant = new Date(match[4] === undefined ? `${year}-${month}-${day}T00:00:00Z` : zone ? raw : `${raw}Z`);
  if (Number.isNaN(instant.getTime()) || instant.getUTCFullYear() < 1970 || instant.getUTCFullYear() > 2299) {
    throw validationFailed([{ field, message: 'must be between 1970 and 2299' }]);
  }
  return instant;
}

const DAY_MS = 24 * 60 * 60 * 1000;

/** The half-open range [from, to) of a statistics request; by default the last 30 days. */
export function parseRange(query: Query, now: Date): { from: Date; to: Date } {
  const rawFrom = single(query, 'from');
  const rawTo = single(query, 'to');
  const to = rawTo === undefined ? now : parseInstant(rawTo, 'to');
  const from = rawFrom === undefined ? new Date(to.getTime() - 30 * DAY_MS) : parseInstant(rawFrom, 'from');
  if (from.getTime() >= to.getTime()) throw validationFailed([{ field: 'from', message: 'must be before to' }]);
  return { from, to };
}

/** A positive version number for `?minVersion=`. */
export function parseMinVersion(query: Query): number | undefined {
  const raw = single(query, 'minVersion');
  if (raw === undefined) return undefined;
  if (!/^\d{1,9}$/.test(raw) || Number(raw) < 1) throw validationFailed([{ field: 'minVersion', message: 'must be a positive integer' }]);
  return Number(raw);
}

export function parseConsistency(query: Query): 'eventual' | 'strong' {
  const raw = single(query, 'consistency');
  if (raw === undefined || raw === 'eventual') return 'eventual';
  if (raw === 'strong') return 'strong';
  throw new DomainError('VALIDATION_FAILED', 'consistency: must be strong or eventual', [{ field: 'consistency', message: 'must be strong or eventual' }]);
}

export function parseGranularity(query: Query): Granularity {
  const raw = single(query, 'granularity') ?? 'day';
  if (raw !== 'hour' && raw !== 'day' && raw !== 'month') throw validationFailed([{ field: 'granularity', message: 'must be hour, day or month' }]);
  return raw;
}

/** `?limit=` of the short lists (top products, recent orders): 1 to MAX_SHORT_LIST, default 10. */
export function parseShortLimit(query: Query): number {
  const raw = single(query, 'limit');
  if (raw === undefined) return 10;
  if (!/^\d{1,4}$/.test(raw) || Number(raw) < 1 || Number(raw) > MAX_SHORT_LIST) {
    throw validationFailed([{ field: 'limit', message: `must be an integer from 1 to ${MAX_SHORT_LIST}` }]);
  }
  return Number(raw);
}
