/**
 * The one place that knows which transport is behind the ClickHouse client: a ClickHouse server
 * over HTTP when CLICKHOUSE_URL is set, otherwise chDB embedded in this process.
 */
import fs from 'node:fs';
import path from 'node:path';
import { ClickHouseClient, createClient } from '@clickhouse/client';
import type { Config } from '../config';
import { PooledConnection } from './chdbPool';
import { ANALYST_SETTINGS } from './analystSql';

export interface ClickHouse {
  /** Reads and writes: the event log's inserts, the schema, rebuilds. */
  client: ClickHouseClient;
  /**
   * For the API's queries: read-only and bounded in time and rows, so that no query the API runs
   * can write or run away, whatever it is asked.
   */
  reader: ClickHouseClient;
  /** For analysts' own SQL (`POST /analytics/sql`): `readonly = 1`, tighter limits they cannot lift. */
  analyst: ClickHouseClient;
  /** The database every table lives in; a checked identifier, safe to put in DDL. */
  database: string;
  /** The ClickHouse cluster the schema is created on (CLICKHOUSE_CLUSTER); unset on one server. */
  cluster?: string;
  embedded: boolean;
  close(): Promise<void>;
}

/** Embedded statements that may run at once: inserts, reads and the odd rebuild side by side. */
const EMBEDDED_CONNECTIONS = 3;
const EMBEDDED_READ_CONNECTIONS = 2;

/**
 * The reader's settings. `readonly = 2` refuses every write and DDL but lets a query set its own
 * limits lower; the limits stop a query long before a client would give up on it.
 */
export const READ_ONLY_SETTINGS = {
  readonly: '2',
  max_execution_time: 15,
  max_result_rows: '100000',
  result_overflow_mode: 'throw',
} as const;

export function embeddedClickHousePath(dataDir: string): string {
  return path.join(dataDir, 'clickhouse');
}

/** Settings as `[name, value]` pairs, in the order they must be applied (readonly last). */
type SessionSettings = Array<[string, string | number]>;

const READER_SETTINGS: SessionSettings = Object.entries(READ_ONLY_SETTINGS);

export async function openClickHouse(config: Config): Promise<ClickHouse> {
  if (config.clickhouseUrl) {
    // Over HTTP, settings travel with each request: the reader and the analyst are the same server
    // with settings of their own.
    const connect = (settings: SessionSettings, maxOpenConnections: number) =>
      createClient({
        url: config.clickhouseUrl,
        username: config.clickhouseUser,
        password: config.clickhousePassword,
        request_timeout: 30_000,
        // Let the server keep idle connections; the default keep-alive suits a long-lived service.
        max_open_connections: maxOpenConnections,
        clickhouse_settings: Object.fromEntries(settings.map(([name, value]) => [name, String(value)])),
      });
    const client = connect([], 32);
    const reader = connect(READER_SETTINGS, 32);
    const analyst = connect(ANALYST_SETTINGS, 4);
    return {
      client,
      reader,
      analyst,
      database: config.clickhouseDatabase,
      cluster: config.clickhouseCluster,
      embedded: false,
      close: async () => {
        await Promise.all([client.close(), reader.close(), analyst.close()]);
      },
    };
  }
  // Loaded lazily: the chDB engine is a 500 MB native library that a server-mode process never needs.
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const { createChdbConnection } = require('chdb/connection') as typeof import('chdb/connection');
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const chdb = require('chdb') as typeof import('chdb');
  const dir = embeddedClickHousePath(config.dataDir);
  fs.mkdirSync(dir, { recursive: true });
  const open = (count: number) => Array.from({ length: count }, () => createChdbConnection({ path: dir }));
  let writeConnections;
  let readConnections;
  let analystConnections;
  try {
    writeConnections = open(EMBEDDED_CONNECTIONS);
    readConnections = open(EMBEDDED_READ_CONNECTIONS);
    analystConnections = open(1);
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    if (/lock/i.test(message)) {
      throw new Error(`the embedded ClickHouse data in ${dir} is held by another process (is the service already running?): ${message}`, { cause: error });
    }
    throw error;
  }
  // chDB applies a query's settings with SET, which stays on the connection: the reader and the
  // analyst get connections of their own, set once here, so that no setting leaks between them.
  const settle = async (connections: typeof readConnections, settings: SessionSettings) => {
    for (const connection of connections) {
      for (const [name, value] of settings) {
        await connection.command({ query: `SET ${name} = ${typeof value === 'number' ? value : `'${value}'`}` } as Parameters<typeof connection.command>[0]);
      }
    }
    return createClient({ connection: new PooledConnection(connections) } as Parameters<typeof createClient>[0]);
  };
  const client = await settle(writeConnections, []);
  const reader = await settle(readConnections, READER_SETTINGS);
  const analyst = await settle(analystConnections, ANALYST_SETTINGS);
  return {
    client,
    reader,
    analyst,
    database: config.clickhouseDatabase,
    embedded: true,
    async close() {
      await Promise.all([client.close(), reader.close(), analyst.close()]);
      // chDB keeps running an aborted query; wait so the data directory is really released.
      await chdb.drainPending?.();
    },
  };
}
