/**
 * The embedded pool's promise: no answer ever carries another statement's rows. First what chDB
 * does by itself (a statement that fails part-way leaves its output on the session, for the
 * next statement to receive), then the pool under a mix of reads, failing reads and reads given
 * up part-way, all at once on one pool.
 */
import fs from 'node:fs';
import fc from 'fast-check';
import type { ClickHouseClient } from '@clickhouse/client';
import { ClickHouse, embeddedClickHousePath, openClickHouse } from '../../src/clickhouse/client';
import { loadConfig } from '../../src/config';
import { eventually, tempDir } from '../support/stack';

let ch: ClickHouse;
const dataDir = tempDir('pool');

beforeAll(async () => {
  ch = await openClickHouse(loadConfig({ DATA_DIR: dataDir }));
});

afterAll(async () => {
  await ch?.close();
  fs.rmSync(dataDir, { recursive: true, force: true });
});

/** Fails once its first blocks of rows have been written out. */
const FAILS_PART_WAY = "SELECT number, throwIf(number > 700000, 'part-way') AS x FROM numbers(2000000)";

describe('a chDB session by itself', () => {
  it('hands the output of a statement that failed part-way to its next statement (not every time)', async () => {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const chdb = require('chdb') as typeof import('chdb');
    const session = new chdb.Session(embeddedClickHousePath(dataDir));
    try {
      const victims: string[][] = [];
      for (let attempt = 0; attempt < 20 && !victims.some((lines) => lines.length > 1); attempt += 1) {
        await expect(session.queryAsync(FAILS_PART_WAY, { format: 'JSONEachRow' })).rejects.toThrow(/part-way/);
        victims.push((await session.queryAsync("SELECT 'victim' AS v", { format: 'JSONEachRow' })).text().trim().split('\n'));
      }
      const received = victims.find((lines) => lines.length > 1);
      expect(received?.length).toBeGreaterThan(1000);
      expect(received?.[0]).toContain('"number":0');
    } finally {
      session.close();
    }
  });
});

/**
 * Rows that say which statement they belong to. Bound parameters come back whole from chDB; a
 * statement without them streams (the tag is a name of the test's own making).
 */
async function tagged(client: ClickHouseClient, tag: string, rows: number, bound = true): Promise<Array<{ tag: string; n: string }>> {
  const result = bound
    ? await client.query({ query: 'SELECT {tag:String} AS tag, number AS n FROM numbers({rows:UInt32})', query_params: { tag, rows }, format: 'JSONEachRow' })
    : await client.query({ query: `SELECT '${tag}' AS tag, number AS n FROM numbers(${rows})`, format: 'JSONEachRow' });
  // chDB writes 64-bit integers as numbers or as text depending on the path; the value is what counts.
  return (await result.json<{ tag: string; n: number | string }>()).map((row) => ({ tag: row.tag, n: String(row.n) }));
}

describe('the pool', () => {
  it('answers the statement after one that failed part-way with its own rows only', async () => {
    for (let attempt = 0; attempt < 6; attempt += 1) {
      // With a parameter, chDB hands the result out whole; without, it streams.
      const failing = attempt % 2 === 0 ? { query: FAILS_PART_WAY.replace('700000', '{at:UInt32}'), query_params: { at: 700_000 } } : { query: FAILS_PART_WAY };
      await expect(ch.client.query({ ...failing, format: 'JSONEachRow' }).then((r) => r.json())).rejects.toThrow(/part-way/);
      expect(await (await ch.client.query({ query: "SELECT 'victim' AS v", format: 'JSONEachRow' })).json()).toEqual([{ v: 'victim' }]);
    }
  });

  it('stops a read given up part-way in the engine, and answers the next one at once', async () => {
    const result = await ch.client.query({ query: "SELECT 'mid-stream' AS tag, number FROM numbers(100000000)", format: 'JSONEachRow' });
    const stream = result.stream();
    for await (const rows of stream) {
      expect(rows.length).toBeGreaterThan(0);
      break;
    }
    const running = async () => {
      const processes = await (await ch.client.query({ query: 'SELECT query FROM system.processes', format: 'JSONEachRow' })).json<{ query: string }>();
      return processes.some((p) => p.query.includes("'mid-stream'"));
    };
    await eventually(async () => ((await running()) ? undefined : true), 5_000, 'the given-up read to stop');
    expect(await tagged(ch.client, 'after', 2, false)).toEqual([
      { tag: 'after', n: '0' },
      { tag: 'after', n: '1' },
    ]);
  });

  it('stops a statement with parameters given up before its answer in the engine', async () => {
    const abort = new AbortController();
    // Bound parameters make chDB answer whole, so the statement has nothing to stream before it is given up.
    const givenUp = ch.client.query({
      query: "SELECT 'given-up-whole' AS tag, count() FROM numbers({rows:UInt64}) WHERE NOT ignore(number)",
      query_params: { rows: 1e12 },
      format: 'JSONEachRow',
      abort_signal: abort.signal,
    });
    const running = async () => {
      const processes = await (await ch.client.query({ query: 'SELECT query FROM system.processes', format: 'JSONEachRow' })).json<{ query: string }>();
      return processes.some((p) => p.query.includes("'given-up-whole'"));
    };
    await eventually(async () => ((await running()) ? true : undefined), 5_000, 'the statement to run');
    abort.abort();
    await expect(givenUp).rejects.toThrow();
    await eventually(async () => ((await running()) ? undefined : true), 5_000, 'the given-up statement to stop');
  });

  it('never gives a read another statement’s rows, whatever fails or is given up beside it', async () => {
    const step = fc.oneof(
      fc.record({ kind: fc.constant('read' as const), rows: fc.integer({ min: 0, max: 150_000 }), bound: fc.boolean() }),
      fc.record({ kind: fc.constant('fail' as const) }),
      fc.record({ kind: fc.constant('give up' as const), afterMs: fc.integer({ min: 0, max: 30 }) }),
      fc.record({ kind: fc.constant('cut short' as const) }),
    );
    let run = 0;
    await fc.assert(
      fc.asyncProperty(fc.array(step, { minLength: 4, maxLength: 12 }), async (steps) => {
        run += 1;
        const outcomes = await Promise.all(
          steps.map(async (s, i) => {
            const tag = `run-${run}-step-${i}`;
            if (s.kind === 'read') {
              const rows = await tagged(ch.client, tag, s.rows, s.bound);
              return rows.length === s.rows && rows.every((row, n) => row.tag === tag && row.n === String(n));
            }
            if (s.kind === 'fail') {
              const failing =
                i % 2 === 0 ? { query: FAILS_PART_WAY.replace('700000', '{at:UInt32}'), query_params: { at: 700_000 } } : { query: FAILS_PART_WAY };
              return ch.client.query({ ...failing, format: 'JSONEachRow' }).then(
                (r) =>
                  r.json().then(
                    () => false,
                    () => true,
                  ),
                () => true,
              );
            }
            if (s.kind === 'give up') {
              const abort = new AbortController();
              setTimeout(() => abort.abort(), s.afterMs);
              return ch.client
                .query({ query: `SELECT '${tag}' AS tag, number FROM numbers(3000000)`, format: 'JSONEachRow', abort_signal: abort.signal })
                .then((r) => r.json())
                .then(
                  () => true,
                  () => true,
                );
            }
            const result = await ch.client.query({ query: `SELECT '${tag}' AS tag, number FROM numbers(3000000)`, format: 'JSONEachRow' });
            result.close();
            return true;
          }),
        );
        expect(outcomes.every(Boolean)).toBe(true);
        // And afterwards, every session of the pool answers as its own.
        const after = await Promise.all([1, 2, 3].map((n) => tagged(ch.client, `after-${run}-${n}`, n, n % 2 === 0)));
        expect(after.map((rows) => rows.map((row) => row.tag))).toEqual([
          [`after-${run}-1`],
          [`after-${run}-2`, `after-${run}-2`],
          Array(3).fill(`after-${run}-3`),
        ]);
      }),
      { numRuns: 8 },
    );
  });
});
