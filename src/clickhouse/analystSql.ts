/**
 * Read-only SQL for analysts (`POST /analytics/sql`, admin keys only): one SELECT, checked here and
 * then run on a ClickHouse client whose session is `readonly = 1` with limits on rows, bytes and
 * time that the statement cannot raise. Functions that reach outside the database (files, URLs,
 * other servers and databases, programs) are refused before anything runs.
 */
import { DomainError } from '../domain/errors';
import type { ClickHouse } from './client';

export { ANALYST_LIMITS } from './sessionSettings';
import { ANALYST_LIMITS } from './sessionSettings';

/** Table and scalar functions that read or write outside this database. */
const OUTSIDE = [
  'file',
  'fileCluster',
  'url',
  'urlCluster',
  's3',
  's3Cluster',
  'gcs',
  'oss',
  'cosn',
  'hdfs',
  'hdfsCluster',
  'azureBlobStorage',
  'azureBlobStorageCluster',
  'remote',
  'remoteSecure',
  'cluster',
  'clusterAllReplicas',
  'mysql',
  'postgresql',
  'mongodb',
  'redis',
  'sqlite',
  'jdbc',
  'odbc',
  'executable',
  'executablePool',
  'input',
  'iceberg',
  'icebergS3',
  'icebergAzure',
  'icebergHDFS',
  'icebergLocal',
  'deltaLake',
  'deltaLakeLocal',
  'hudi',
  'paimon',
  'merge',
  'arrowFlight',
  'arrowflight',
  'ytsaurus',
  'loop',
  'fuzzJSON',
  'fuzzQuery',
  'dictionary',
];
const OUTSIDE_CALL = new RegExp(`\\b(${OUTSIDE.join('|')})\\s*\\(`, 'i');

export interface AnalystAnswer {
  columns: Array<{ name: string; type: string }>;
  rows: Array<Record<string, unknown>>;
  rowCount: number;
  statistics: { elapsedSeconds: number; rowsRead: number; bytesRead: number };
}

function refuse(message: string): DomainError {
  return new DomainError('SQL_NOT_ALLOWED', message, [{ field: 'sql', message }]);
}

/**
 * The statement with strings, quoted names and comments blanked out, so that what remains is
 * keywords, names and punctuation only.
 */
function skeleton(sql: string): string {
  let out = '';
  for (let i = 0; i < sql.length;) {
    const c = sql[i];
    if (c === "'" || c === '"' || c === '`') {
      let j = i + 1;
      while (j < sql.length && sql[j] !== c) j += sql[j] === '\\' ? 2 : 1;
      if (j >= sql.length) throw refuse('a quoted string or name is not closed');
      out += c === "'" ? "''" : '_q';
      i = j + 1;
    } else if (sql.startsWith('--', i) || c === '#') {
      const end = sql.indexOf('\n', i);
      i = end === -1 ? sql.length : end;
      out += ' ';
    } else if (sql.startsWith('/*', i)) {
      const end = sql.indexOf('*/', i + 2);
      if (end === -1) throw refuse('a comment is not closed');
      i = end + 2;
      out += ' ';
    } else {
      out += c;
      i += 1;
    }
  }
  return out;
}

/** One SELECT (or WITH … SELECT) statement, a trailing semicolon allowed; anything else is refused. */
export function checkAnalystSql(sql: unknown): string {
  if (typeof sql !== 'string' || sql.trim() === '') throw refuse('sql: is required, one SELECT statement');
  if (sql.length > ANALYST_LIMITS.maxSqlLength) throw refuse(`sql: must be at most ${ANALYST_LIMITS.maxSqlLength} characters`);
  const bare = skeleton(sql).trim().replace(/;\s*$/, '');
  if (bare.includes(';')) throw refuse('sql: must be one statement');
  if (!/^\(*\s*(SELECT|WITH)\b/i.test(bare)) throw refuse('sql: must be a SELECT statement (or WITH … SELECT)');
  if (/\bINTO\s+OUTFILE\b|\bFROM\s+INFILE\b/i.test(bare)) throw refuse('sql: may not read or write files');
  // The session is readonly = 1, which refuses this too; saying so here keeps the limits fixed
  // whatever a server's own settings profile allows.
  if (/\bSETTINGS\s+\w+\s*=/i.test(bare)) throw refuse("sql: may not change settings; the limits of analysts' queries are fixed");
  const outside = OUTSIDE_CALL.exec(bare);
  if (outside) throw refuse(`sql: ${outside[1]}() reaches outside the database and is not allowed`);
  return sql.trim().replace(/;\s*$/, '');
}

/** Values for `{name:Type}` placeholders: names as ClickHouse allows, values scalars or lists of them. */
export function checkAnalystParams(params: unknown): Record<string, unknown> {
  if (params === undefined || params === null) return {};
  if (typeof params !== 'object' || Array.isArray(params)) throw refuse('params: must be an object of name → value');
  const entries = Object.entries(params as Record<string, unknown>);
  if (entries.length > ANALYST_LIMITS.maxParams) throw refuse(`params: at most ${ANALYST_LIMITS.maxParams}`);
  const scalar = (value: unknown) => ['string', 'number', 'boolean'].includes(typeof value) && (typeof value !== 'number' || Number.isFinite(value));
  for (const [name, value] of entries) {
    if (!/^[A-Za-z_][A-Za-z0-9_]{0,63}$/.test(name)) throw refuse(`params.${name.slice(0, 64)}: is not a parameter name`);
    if (!(scalar(value) || (Array.isArray(value) && value.length <= 10_000 && value.every(scalar)))) {
      throw refuse(`params.${name}: must be a string, a number, a boolean or a list of them`);
    }
  }
  return params as Record<string, unknown>;
}

/**
 * An error ClickHouse itself raised (a numeric code and its name), from the HTTP client or from
 * chDB, which carries its own copy of the client's error class, so `instanceof` cannot tell.
 */
function isClickHouseError(error: unknown): error is Error & { code: string; type?: string } {
  const code = (error as { code?: unknown })?.code;
  return error instanceof Error && typeof code === 'string' && /^\d+$/.test(code);
}

/** Runs a checked statement on the analyst client; ClickHouse's refusals come back as SQL_FAILED. */
export async function runAnalystSql(ch: ClickHouse, sql: string, params: Record<string, unknown>): Promise<AnalystAnswer> {
  try {
    const result = await ch.analyst.query({ query: sql, query_params: params, format: 'JSON' });
    const answer = await result.json<Record<string, unknown>>();
    const statistics = (answer.statistics ?? {}) as { elapsed?: number; rows_read?: number; bytes_read?: number };
    const rows = (answer.data ?? []) as Array<Record<string, unknown>>;
    return {
      columns: ((answer.meta ?? []) as Array<{ name: string; type: string }>).map(({ name, type }) => ({ name, type })),
      rows,
      rowCount: rows.length,
      statistics: {
        elapsedSeconds: Number(statistics.elapsed ?? 0),
        rowsRead: Number(statistics.rows_read ?? 0),
        bytesRead: Number(statistics.bytes_read ?? 0),
      },
    };
  } catch (error) {
    if (isClickHouseError(error)) {
      // ClickHouse's own words about the analyst's statement: safe to show the one who wrote it.
      const message = error.message.replace(/\s*\(version [^)]*\)\s*$/, '').slice(0, 2000);
      throw new DomainError('SQL_FAILED', `${error.type || 'ClickHouse'}: ${message}`);
    }
    throw error;
  }
}
