/**
 * The analysts' allow-list held to the engine in use: every name on it is one the engine has, an
 * alias on it leads to a function on it, and nothing on it is of a category that reaches outside
 * the database. A new engine version adds nothing by itself (what is not listed is refused);
 * this shows when one renames or moves what the list names.
 */
import fs from 'node:fs';
import { ANALYST_COMBINATORS, ANALYST_FUNCTIONS, ANALYST_SYNTAX, ANALYST_SYSTEM_TABLES, ANALYST_TABLE_FUNCTIONS } from '../../src/clickhouse/analystAllowList';
import { ClickHouse, openClickHouse } from '../../src/clickhouse/client';
import { loadConfig } from '../../src/config';
import { tempDir } from '../support/stack';

let ch: ClickHouse;
const dataDir = tempDir('allow-list');

beforeAll(async () => {
  ch = await openClickHouse(loadConfig({ DATA_DIR: dataDir }));
});

afterAll(async () => {
  await ch?.close();
  fs.rmSync(dataDir, { recursive: true, force: true });
});

async function rows<T>(query: string): Promise<T[]> {
  return (await ch.client.query({ query, format: 'JSONEachRow' })).json<T>();
}

/** Categories whose functions read files, URLs, dictionaries, models or the host, or call out. */
const OUTSIDE = ['Dictionary', 'Embedded Dictionary', 'Introspection', 'Internal', 'AI', 'Machine Learning', 'Other'];

describe('the functions analysts may call', () => {
  it('are all functions of the engine in use, and none of a category that reaches outside', async () => {
    const engine = new Map(
      (await rows<{ name: string; categories: string; alias_to: string }>('SELECT name, categories, alias_to FROM system.functions')).map((f) => [f.name, f]),
    );
    const missing = [...ANALYST_FUNCTIONS].filter((name) => !engine.has(name));
    expect(missing).toEqual([]);
    const category = (name: string) => engine.get(engine.get(name)?.alias_to || name)?.categories ?? '';
    const resolved = new Set([...ANALYST_FUNCTIONS].map((name) => engine.get(name)?.alias_to || name));
    const outside = [...resolved].filter((name) => OUTSIDE.includes(category(name)));
    // From "Other", only what was reviewed one by one: none of these reads anything but its arguments.
    expect(outside.sort()).toEqual(
      [
        'bar',
        'byteSize',
        'countDigits',
        'currentDatabase',
        'finalizeAggregation',
        'formatReadableDecimalSize',
        'formatReadableQuantity',
        'formatReadableSize',
        'formatReadableTimeDelta',
        'identity',
        'ignore',
        'initializeAggregation',
        'isConstant',
        'isDecimalOverflow',
        'materialize',
        'minSampleSizeContinuous',
        'minSampleSizeConversion',
        'parseReadableSize',
        'parseReadableSizeOrNull',
        'parseReadableSizeOrZero',
        'parseTimeDelta',
        'throwIf',
        'toColumnTypeName',
        'toTypeName',
        'transform',
        'visibleWidth',
      ].sort(),
    );
  });

  it('include an alias only when the function it stands for is on the list', async () => {
    const aliases = await rows<{ name: string; alias_to: string }>("SELECT name, alias_to FROM system.functions WHERE alias_to != ''");
    expect(aliases.filter((alias) => ANALYST_FUNCTIONS.has(alias.name) && !ANALYST_FUNCTIONS.has(alias.alias_to))).toEqual([]);
  });

  it('name table functions the engine has, and syntax that is at most the parser’s own', async () => {
    const tableFunctions = new Set((await rows<{ name: string }>('SELECT name FROM system.table_functions')).map((f) => f.name));
    const functions = new Map(
      (await rows<{ name: string; categories: string }>('SELECT name, categories FROM system.functions')).map((f) => [f.name, f.categories]),
    );
    expect([...ANALYST_SYNTAX].filter((name) => functions.has(name) && functions.get(name) !== 'Internal')).toEqual([]);
    expect([...ANALYST_TABLE_FUNCTIONS].filter((name) => !tableFunctions.has(name))).toEqual([]);
  });

  it('take only combinators the engine has', async () => {
    const combinators = new Set((await rows<{ name: string }>('SELECT name FROM system.aggregate_function_combinators')).map((c) => c.name));
    expect(ANALYST_COMBINATORS.filter((name) => !combinators.has(name))).toEqual([]);
  });
});

describe('the tables analysts may read', () => {
  it('are system tables of the engine in use, none of them showing paths of the host', async () => {
    const tables = await rows<{ name: string; columns: string[] }>(
      "SELECT table AS name, groupArray(name) AS columns FROM system.columns WHERE database = 'system' GROUP BY table",
    );
    const allowed = tables.filter((table) => ANALYST_SYSTEM_TABLES.has(table.name));
    expect(allowed.map((table) => table.name).sort()).toEqual([...ANALYST_SYSTEM_TABLES].sort());
    expect(allowed.flatMap((table) => table.columns.filter((column) => /path/i.test(column)).map((column) => `${table.name}.${column}`))).toEqual([]);
  });
});
