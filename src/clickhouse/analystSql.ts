/**
 * Read-only SQL for analysts (`POST /analytics/sql`, admin keys only). What a statement may touch
 * is decided on the statement as ClickHouse's own parser reads it, against the allow-list of
 * analystAllowList.ts: the engine formats the statement (which also proves it is one statement),
 * prints that formatting's syntax tree with `EXPLAIN AST`, and every function, table function and
 * table in the tree must be on the list. The formatted statement is what then runs, so what was
 * checked is what runs, on a session or request that is `readonly = 1` with limits it cannot lift.
 */
import { randomUUID } from 'node:crypto';
import type { Readable } from 'node:stream';
import { isSafeNumber, LosslessNumber, parse } from 'lossless-json';
import { DomainError } from '../domain/errors';
import { ANALYST_COMBINATORS, ANALYST_FUNCTIONS, ANALYST_SYNTAX, ANALYST_SYSTEM_TABLES, ANALYST_TABLE_FUNCTIONS } from './analystAllowList';
import type { ClickHouse } from './client';
import { AstNode, readAst, UnreadableAst } from './explainAst';
import { ANALYST_LIMITS } from './sessionSettings';
import type { AnalystAnswer } from '../api/ports';

export { ANALYST_LIMITS } from './sessionSettings';

/** A statement that passed the check: the engine's own formatting of it, and its parameters. */
export interface AnalystStatement {
  sql: string;
  params: Record<string, unknown>;
}

function refuse(message: string): DomainError {
  return new DomainError('SQL_NOT_ALLOWED', message, [{ field: 'sql', message }]);
}

/**
 * What a parameter may hold, in words. A number must be one a double holds exactly (within ±2^53):
 * beyond, JSON has already rounded it, and chDB refuses to bind it; such a value goes as a string.
 */
export const ANALYST_PARAM_VALUES = 'must be a string, a number within ±(2^53 − 1) (a larger one as a string), a boolean or a list of them';

export const NUL_REFUSED = "sql: must not contain a NUL character (in a string literal, write '\\0')";

/** Values for `{name:Type}` placeholders: names as ClickHouse allows, values scalars or lists of them. */
export function checkAnalystParams(params: unknown): Record<string, unknown> {
  if (params === undefined || params === null) return {};
  if (typeof params !== 'object' || Array.isArray(params)) throw refuse('params: must be an object of name → value');
  const entries = Object.entries(params as Record<string, unknown>);
  if (entries.length > ANALYST_LIMITS.maxParams) throw refuse(`params: at most ${ANALYST_LIMITS.maxParams}`);
  const scalar = (value: unknown) =>
    ['string', 'number', 'boolean'].includes(typeof value) && (typeof value !== 'number' || Math.abs(value) <= Number.MAX_SAFE_INTEGER);
  for (const [name, value] of entries) {
    if (!/^[A-Za-z_][A-Za-z0-9_]{0,63}$/.test(name)) throw refuse(`params.${name.slice(0, 64)}: is not a parameter name`);
    if (!(scalar(value) || (Array.isArray(value) && value.length <= 10_000 && value.every(scalar)))) {
      throw refuse(`params.${name}: ${ANALYST_PARAM_VALUES}`);
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

/** ClickHouse's own words, safe to show the one who wrote the statement: no version, no paths of the host. */
function clickHouseReason(error: Error & { type?: string }): string {
  const message = error.message
    .replace(/\s*\(version [^)]*\)\s*$/, '')
    .replace(/(^|[\s'"`(=:])\/[^\s'"`(),:/]+(?:\/[^\s'"`(),:/]*)+/g, '$1<path>')
    .slice(0, 2000);
  return `${error.type || 'ClickHouse'}: ${message}`;
}

/** ClickHouse errors of a statement that reached one of its limits. */
const LIMIT_ERRORS = new Set([
  'TOO_MANY_ROWS',
  'TOO_MANY_BYTES',
  'TOO_MANY_ROWS_OR_BYTES',
  'TIMEOUT_EXCEEDED',
  'TOO_SLOW',
  'MEMORY_LIMIT_EXCEEDED',
  'TOO_BIG_AST',
  'TOO_DEEP_AST',
  'TOO_DEEP_RECURSION',
  'TOO_DEEP_SUBQUERIES',
  'TOO_MANY_COLUMNS',
  'TOO_LARGE_STRING_SIZE',
  'TOO_LARGE_ARRAY_SIZE',
  'QUERY_IS_TOO_LARGE',
]);

/** A ClickHouse refusal as the analyst's error: a limit reached, or ClickHouse's reason. */
function asAnalystError(error: unknown): unknown {
  if (!isClickHouseError(error)) return error;
  return new DomainError(LIMIT_ERRORS.has(error.type ?? '') ? 'SQL_LIMIT_EXCEEDED' : 'SQL_FAILED', clickHouseReason(error));
}

/** The statement as the engine formats it; refuses several statements, and text that is not SQL. */
async function formatted(ch: ClickHouse, sql: string): Promise<string> {
  try {
    const result = await ch.analyst.query({ query: 'SELECT formatQuery({sql:String}) AS sql', query_params: { sql }, format: 'JSONEachRow' });
    const [row] = await result.json<{ sql: string }>();
    return row.sql;
  } catch (error) {
    if (!isClickHouseError(error)) throw error;
    if (/Multi-statements are not allowed/.test(error.message)) throw refuse('sql: must be one statement');
    throw new DomainError(
      'SQL_FAILED',
      clickHouseReason(Object.assign(error, { message: error.message.replace(/:? In scope SELECT formatQuery[\s\S]*$/, '') })),
    );
  }
}

async function syntaxTree(ch: ClickHouse, statement: AnalystStatement): Promise<AstNode> {
  let lines: string[];
  try {
    // Without a FORMAT clause, which would belong to the statement explained: one tab-separated line per node.
    const result = await ch.analyst.exec({ query: `EXPLAIN AST ${statement.sql}`, query_params: statement.params });
    lines = (await text(result.stream)).split('\n');
    if (lines[lines.length - 1] === '') lines.pop();
  } catch (error) {
    throw asAnalystError(error);
  }
  try {
    return readAst(lines);
  } catch (error) {
    if (error instanceof UnreadableAst) throw refuse('sql: names that hold line breaks are not allowed');
    throw error;
  }
}

/** Whether `name` calls an allowed function: as written, in any case when ClickHouse takes it so, or as an aggregate with combinators. */
function allowedFunction(name: string, caseInsensitive: ReadonlySet<string>): boolean {
  if (ANALYST_FUNCTIONS.has(name) || ANALYST_SYNTAX.has(name) || caseInsensitive.has(name.toLowerCase())) return true;
  const combinator = ANALYST_COMBINATORS.find((suffix) => name.length > suffix.length && name.endsWith(suffix));
  return combinator !== undefined && allowedFunction(name.slice(0, -combinator.length), caseInsensitive);
}

interface Scope {
  database: string;
  databases: ReadonlySet<string>;
  caseInsensitive: ReadonlySet<string>;
}

/** A table named `db.table` (or a bare name, which is the current database's or a WITH's) that may be read. */
function checkTable(name: string, scope: Scope): void {
  const parts = name.split('.');
  if (parts.length === 1) return;
  const [database, table] = parts;
  const allowed = parts.length === 2 && (database === scope.database || (database === 'system' && ANALYST_SYSTEM_TABLES.has(table)));
  if (!allowed)
    throw refuse(
      `sql: ${name} is not a table analysts may read (the ${scope.database} database, and ${[...ANALYST_SYSTEM_TABLES].map((t) => `system.${t}`).join(', ')})`,
    );
}

const SETTINGS_REFUSED = "sql: may not change settings; the limits of analysts' queries are fixed";

/**
 * A `{name:Type}` placeholder of any type but String reaches the tree as the engine's own cast of
 * the bound value: `_CAST(<value literal>, '<Type>')`. A cast of a literal is what CAST, which
 * analysts may call, does too; a `_CAST` of anything else is the analyst's, and refused.
 */
function isBoundParameter(node: AstNode): boolean {
  const [args] = node.children;
  return (
    node.name === '_CAST' &&
    node.children.length === 1 &&
    args.type === 'ExpressionList' &&
    args.children.length === 2 &&
    args.children.every((arg) => arg.type === 'Literal')
  );
}

/** Refuses the first thing in the tree that is not allowed. */
function checkNode(node: AstNode, parent: AstNode | undefined, scope: Scope): void {
  if (node.type === 'Set') throw refuse(SETTINGS_REFUSED);
  if (node.type === 'Function') {
    if (parent?.type === 'TableExpression') {
      if (!ANALYST_TABLE_FUNCTIONS.has(node.name))
        throw refuse(`sql: the table function ${node.name}() is not allowed (allowed: ${[...ANALYST_TABLE_FUNCTIONS].join(', ')})`);
    } else if (!allowedFunction(node.name, scope.caseInsensitive) && !isBoundParameter(node)) {
      throw refuse(`sql: the function ${node.name}() is not allowed for analysts`);
    }
  }
  if (node.type === 'TableIdentifier') checkTable(node.name, scope);
  // `x IN db.table`, or a WITH naming a table: an identifier whose first part is another database.
  if (node.type === 'Identifier' && node.name.includes('.') && scope.databases.has(node.name.split('.')[0])) {
    checkTable(node.name.split('.').slice(0, 2).join('.'), scope);
  }
  for (const child of node.children) checkNode(child, node, scope);
}

const caseInsensitiveNames = new WeakMap<object, Promise<ReadonlySet<string>>>();

/** Allowed functions that the engine in use also takes in any case (`COUNT`, `Sum`), in lower case. */
function caseInsensitiveOf(ch: ClickHouse): Promise<ReadonlySet<string>> {
  let names = caseInsensitiveNames.get(ch.analyst);
  if (!names) {
    names = ch.analyst
      .query({ query: 'SELECT name FROM system.functions WHERE case_insensitive', format: 'JSONEachRow' })
      .then((result) => result.json<{ name: string }>())
      .then((rows) => new Set(rows.filter((row) => ANALYST_FUNCTIONS.has(row.name)).map((row) => row.name.toLowerCase())));
    names.catch(() => caseInsensitiveNames.delete(ch.analyst));
    caseInsensitiveNames.set(ch.analyst, names);
  }
  return names;
}

/** The statement checked against the allow-list, as it will run; refusals are SQL_NOT_ALLOWED. */
export async function prepareAnalystSql(ch: ClickHouse, sql: unknown, params: unknown): Promise<AnalystStatement> {
  if (typeof sql !== 'string' || sql.trim() === '') throw refuse('sql: is required, one SELECT statement');
  if (sql.length > ANALYST_LIMITS.maxSqlLength) throw refuse(`sql: must be at most ${ANALYST_LIMITS.maxSqlLength} characters`);
  // The engine's error would quote the statement up to the NUL and no further, unreadable; a NUL
  // inside a string literal is written '\0'.
  if (sql.includes('\u0000')) throw refuse(NUL_REFUSED);
  const statement = { sql: await formatted(ch, sql), params: checkAnalystParams(params) };
  // The engine applies a SETTINGS clause even to EXPLAIN; the formatting puts every clause at the
  // head of a line and escapes line breaks inside strings and names, so the clause shows here.
  if (/^\s*SETTINGS\s/m.test(statement.sql)) throw refuse(SETTINGS_REFUSED);
  const tree = await syntaxTree(ch, statement);
  if (tree.type !== 'SelectWithUnionQuery') throw refuse('sql: must be a SELECT statement (or WITH … SELECT)');
  if (tree.children.length > 1) throw refuse('sql: may not write a file, choose a format or change settings; the answer is always JSON');
  const databases = await ch.analyst.query({ query: 'SELECT name FROM system.databases', format: 'JSONEachRow' }).then((r) => r.json<{ name: string }>());
  checkNode(tree, undefined, {
    database: ch.database,
    databases: new Set(databases.map((row) => row.name).filter((name) => name !== ch.database)),
    caseInsensitive: await caseInsensitiveOf(ch),
  });
  return statement;
}

async function text(stream: Readable): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

/** The answer's bytes, refused as soon as they pass the limit. */
async function capped(stream: Readable): Promise<string> {
  const chunks: Buffer[] = [];
  let bytes = 0;
  for await (const chunk of stream) {
    bytes += (chunk as Buffer).length;
    if (bytes > ANALYST_LIMITS.maxResultBytes) {
      stream.destroy();
      throw new DomainError('SQL_LIMIT_EXCEEDED', `the answer is larger than ${ANALYST_LIMITS.maxResultBytes / 1024 / 1024} MiB; select fewer rows or columns`);
    }
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks).toString('utf8');
}

function statisticsOf(value: unknown): number {
  return Number(value instanceof LosslessNumber ? value.toString() : (value ?? 0));
}

/**
 * Runs a checked statement on the analyst client and reads its answer as it arrives. A caller that
 * gives up (`cancel`) stops the statement in the engine.
 */
export async function runAnalystSql(ch: ClickHouse, statement: AnalystStatement, cancel?: AbortSignal): Promise<AnalystAnswer> {
  const queryId = randomUUID();
  const stop = new AbortController();
  const onCancel = () => stop.abort();
  cancel?.addEventListener('abort', onCancel, { once: true });
  try {
    const result = await ch.analyst.exec({
      query: `${statement.sql}\nFORMAT JSON`,
      query_params: statement.params,
      query_id: queryId,
      abort_signal: stop.signal,
    });
    const answer = parse(await capped(result.stream), undefined, (text) => (isSafeNumber(text) ? Number(text) : new LosslessNumber(text))) as Record<
      string,
      unknown
    >;
    const statistics = (answer.statistics ?? {}) as Record<string, unknown>;
    const rows = (answer.data ?? []) as Array<Record<string, unknown>>;
    return {
      columns: ((answer.meta ?? []) as Array<{ name: string; type: string }>).map(({ name, type }) => ({ name, type })),
      rows,
      rowCount: rows.length,
      statistics: {
        elapsedSeconds: statisticsOf(statistics.elapsed),
        rowsRead: statisticsOf(statistics.rows_read),
        bytesRead: statisticsOf(statistics.bytes_read),
      },
    };
  } catch (error) {
    if (!stop.signal.aborted) stop.abort();
    await ch.stopQuery(queryId).catch(() => undefined);
    throw asAnalystError(error);
  } finally {
    cancel?.removeEventListener('abort', onCancel);
  }
}
