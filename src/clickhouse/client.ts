/**
 * The one place that knows which transport is behind the ClickHouse client: a ClickHouse server
 * over HTTP when CLICKHOUSE_URL is set, otherwise chDB embedded in this process.
 */
import { ClickHouseClient, createClient } from '@clickhouse/client';
import type { Config } from '../config';
import { ChdbPool } from './chdbPool';
import { openEmbeddedEngine } from './embeddedEngine';
import { ANALYST_SETTINGS, READER_SETTINGS, SessionSettings, WRITER_SETTINGS } from './sessionSettings';

export { embeddedClickHousePath } from './embeddedEngine';

export interface ClickHouse {
  /** Reads and writes: the event log's inserts, the schema, rebuilds. */
  client: ClickHouseClient;
  /**
   * For the API's queries: read-only and bounded in time, rows and memory, so that no query the API
   * runs can write or run away, whatever it is asked.
   */
  reader: ClickHouseClient;
  /**
   * For analysts' own SQL (`POST /analytics/sql`): `readonly = 1`, tighter limits they cannot lift,
   * the database as its current one; on a server, as CLICKHOUSE_ANALYST_USER when given.
   */
  analyst: ClickHouseClient;
  /** Stops a statement that was given up on by the id it was sent with (the embedded pool stops its own). */
  stopQuery(queryId: string): Promise<void>;
  /** The database every table lives in; a checked identifier, safe to put in DDL. */
  database: string;
  /** The ClickHouse cluster the schema is created on (CLICKHOUSE_CLUSTER); unset on one server. */
  cluster?: string;
  embedded: boolean;
  close(): Promise<void>;
}

/** Embedded statements that may run at once: inserts, reads and the odd rebuild side by side. */
const EMBEDDED_SESSIONS = { client: 3, reader: 2, analyst: 2 } as const;

export async function openClickHouse(config: Config): Promise<ClickHouse> {
  return config.clickhouseUrl ? openServer(config, config.clickhouseUrl) : openEmbedded(config);
}

function openServer(config: Config, url: string): ClickHouse {
  // Over HTTP, settings travel with each request: the reader and the analyst are the same server
  // with settings of their own. Each request is its own statement, so no answer can carry another's.
  const connect = (
    settings: SessionSettings,
    maxOpenConnections: number,
    credentials = { username: config.clickhouseUser, password: config.clickhousePassword },
  ) =>
    createClient({
      url,
      ...credentials,
      request_timeout: 30_000,
      max_open_connections: maxOpenConnections,
      clickhouse_settings: Object.fromEntries(settings.map(([name, value]) => [name, String(value)])),
    });
  const client = connect(WRITER_SETTINGS, 32);
  const reader = connect(READER_SETTINGS, 32);
  const analyst = createClient({
    url,
    username: config.clickhouseAnalystUser ?? config.clickhouseUser,
    password: config.clickhouseAnalystUser ? config.clickhouseAnalystPassword : config.clickhousePassword,
    database: config.clickhouseDatabase,
    request_timeout: 30_000,
    max_open_connections: 4,
    // The server stops a read-only query whose client hung up; readonly last, as on a session.
    clickhouse_settings: Object.fromEntries(
      [['cancel_http_readonly_queries_on_client_close', 1] as [string, number], ...ANALYST_SETTINGS].map(([name, value]) => [name, String(value)]),
    ),
  });
  return {
    client,
    reader,
    analyst,
    async stopQuery(queryId) {
      await client.command({ query: 'KILL QUERY WHERE query_id = {queryId:String} ASYNC', query_params: { queryId } });
    },
    database: config.clickhouseDatabase,
    cluster: config.clickhouseCluster,
    embedded: false,
    close: async () => {
      await Promise.all([client.close(), reader.close(), analyst.close()]);
    },
  };
}

async function openEmbedded(config: Config): Promise<ClickHouse> {
  const engine = await openEmbeddedEngine(config.dataDir);
  // Sessions open as they are first needed: the analyst's switch to the database as they open,
  // and the schema that creates it runs after this.
  const pooled = (size: number, settings: SessionSettings, database?: string) =>
    createClient({ connection: new ChdbPool(size, (tag) => engine.openSession([['log_comment', tag], ...settings], database), engine.control) } as Parameters<
      typeof createClient
    >[0]);
  const client = pooled(EMBEDDED_SESSIONS.client, WRITER_SETTINGS);
  const reader = pooled(EMBEDDED_SESSIONS.reader, READER_SETTINGS);
  const analyst = pooled(EMBEDDED_SESSIONS.analyst, ANALYST_SETTINGS, config.clickhouseDatabase);
  return {
    client,
    reader,
    analyst,
    stopQuery: async () => undefined,
    database: config.clickhouseDatabase,
    embedded: true,
    async close() {
      await Promise.all([client.close(), reader.close(), analyst.close()]);
      await engine.close();
    },
  };
}
