/**
 * An insert ClickHouse refuses for its data, as against one that fails for a passing reason (an
 * outage, too many parts): sent again unchanged, the data is refused again, so it is recorded for
 * an operator instead of retried (docs/decisions/0032-events-the-log-refuses.md).
 */
/**
 * ClickHouse errors that refuse the data itself (a value a column cannot hold, a constraint it
 * breaks): the same rows sent again are refused again, so retrying them cannot help.
 */
const REFUSALS = new Set([
  'ARGUMENT_OUT_OF_BOUND',
  'CANNOT_CONVERT_TYPE',
  'DECIMAL_OVERFLOW',
  'ILLEGAL_TYPE_OF_ARGUMENT',
  'INCORRECT_DATA',
  'NO_SUCH_COLUMN_IN_TABLE',
  'TOO_LARGE_STRING_SIZE',
  'TYPE_MISMATCH',
  'VALUE_IS_OUT_OF_RANGE_OF_DATA_TYPE',
  'VIOLATED_CONSTRAINT',
]);

/** Whether ClickHouse refused an insert for its data (anything else, an outage say, is retried). */
export function isRefusal(error: unknown): boolean {
  const type = (error as { type?: unknown } | undefined)?.type;
  return typeof type === 'string' && (type.startsWith('CANNOT_PARSE') || REFUSALS.has(type));
}

/** The event log refused an event for good; the events offered before it (if any) are in. */
export class EventRefusedError extends Error {
  readonly eventId: string;
  readonly orderId: string;
  readonly version: number;

  constructor(
    row: { event_id: string; order_id: string; version: number },
    readonly reason: string,
  ) {
    super(`the event log refused event ${row.event_id}: ${reason}`);
    this.name = 'EventRefusedError';
    this.eventId = row.event_id;
    this.orderId = row.order_id;
    this.version = row.version;
  }
}

/** ClickHouse's words for a refusal: its error type, then its message. */
export function refusalReason(error: unknown): string {
  const type = (error as { type?: unknown }).type;
  const message = error instanceof Error ? error.message : String(error);
  return typeof type === 'string' ? `${type}: ${message.trim()}` : message;
}
