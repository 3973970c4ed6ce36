/**
 * The one place that knows which transport is behind the ClickHouse client: a ClickHouse server
 * over HTTP when CLICKHOUSE_URL is set, otherwise chDB embedded in this process.
 */
import fs from 'node:fs';
import path from 'node:path';
import { ClickHouseClient, createClient } from '@clickhouse/client';
import type { Config } from '../config';
import { PooledConnection } from './chdbPool';

export interface ClickHouse {
  client: ClickHouseClient;
  /** The database every table lives in; a checked identifier, safe to put in DDL. */
  database: string;
  embedded: boolean;
  close(): Promise<void>;
}

/** Embedded statements that may run at once: inserts, reads and the odd rebuild side by side. */
const EMBEDDED_CONNECTIONS = 4;

export function embeddedClickHousePath(dataDir: string): string {
  return path.join(dataDir, 'clickhouse');
}

export async function openClickHouse(config: Config): Promise<ClickHouse> {
  if (config.clickhouseUrl) {
    const client = createClient({
      url: config.clickhouseUrl,
      username: config.clickhouseUser,
      password: config.clickhousePassword,
      request_timeout: 30_000,
      // Let the server keep idle connections; the default keep-alive suits a long-lived service.
      max_open_connections: 32,
    });
    return { client, database: config.clickhouseDatabase, embedded: false, close: () => client.close() };
  }
  // Loaded lazily: the chDB engine is a 500 MB native library that a server-mode process never needs.
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const { createChdbConnection } = require('chdb/connection') as typeof import('chdb/connection');
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const chdb = require('chdb') as typeof import('chdb');
  const dir = embeddedClickHousePath(config.dataDir);
  fs.mkdirSync(dir, { recursive: true });
  let connection;
  try {
    connection = new PooledConnection(Array.from({ length: EMBEDDED_CONNECTIONS }, () => createChdbConnection({ path: dir })));
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    if (/lock/i.test(message)) {
      throw new Error(
        `the embedded ClickHouse data in ${dir} is held by another process (is the service already running?): ${message}`,
      );
    }
    throw error;
  }
  const client = createClient({ connection } as Parameters<typeof createClient>[0]);
  return {
    client,
    database: config.clickhouseDatabase,
    embedded: true,
    async close() {
      await client.close();
      // chDB keeps running an aborted query; wait so the data directory is really released.
      await chdb.drainPending?.();
    },
  };
}
