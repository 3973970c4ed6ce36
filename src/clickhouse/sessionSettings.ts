/**
 * What the API's reads and the analysts' SQL may cost, as settings that ClickHouse itself enforces
 * on their sessions (chDB) or requests (a server). `readonly` comes last: once it is set, a
 * session refuses to change anything else.
 */

/** Settings as `[name, value]` pairs, in the order they are applied. */
export type SessionSettings = Array<[string, string | number]>;

export const ANALYST_LIMITS = {
  maxSqlLength: 20_000,
  maxParams: 50,
  maxResultRows: 10_000,
  /** Counted by the service on the answer's bytes as they arrive; the engine's own count misses constant columns. */
  maxResultBytes: 20 * 1024 * 1024,
  maxExecutionSeconds: 10,
  maxMemoryBytes: 512 * 1024 * 1024,
  maxRowsRead: 200_000_000,
} as const;

/**
 * The service's own statements (the event log's inserts, the schema, rebuilds): an insert into the
 * log feeds the read models' materialized views side by side rather than one after another, so a
 * command alone waits for less than the sum of its parts (docs/decisions/0065).
 */
export const WRITER_SETTINGS: SessionSettings = [['parallel_view_processing', 1]];

/**
 * The API's reads: `readonly = 2` refuses every write and DDL; the limits stop a query long before a
 * client would give up on it.
 */
export const READER_SETTINGS: SessionSettings = [
  ['max_execution_time', 15],
  ['max_result_rows', 100_000],
  ['result_overflow_mode', 'throw'],
  ['max_memory_usage', 1024 * 1024 * 1024],
  ['readonly', 2],
];

/**
 * Analysts' SQL: `readonly = 1`, so a statement can neither write nor lift these limits, and no
 * introspection of the process.
 */
export const ANALYST_SETTINGS: SessionSettings = [
  ['max_result_rows', ANALYST_LIMITS.maxResultRows],
  ['max_result_bytes', ANALYST_LIMITS.maxResultBytes],
  ['result_overflow_mode', 'throw'],
  ['max_execution_time', ANALYST_LIMITS.maxExecutionSeconds],
  ['timeout_overflow_mode', 'throw'],
  ['max_memory_usage', ANALYST_LIMITS.maxMemoryBytes],
  ['max_rows_to_read', ANALYST_LIMITS.maxRowsRead],
  ['read_overflow_mode', 'throw'],
  ['allow_introspection_functions', 0],
  ['readonly', 1],
];

/** A setting as a literal for `SET name = value`: numbers as they are, text quoted. */
export function settingLiteral(value: string | number): string {
  return typeof value === 'number' ? String(value) : `'${value.replace(/\\/g, '\\\\').replace(/'/g, "\\'")}'`;
}
