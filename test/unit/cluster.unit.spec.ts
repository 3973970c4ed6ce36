/**
 * The cluster topology without a cluster at hand: the schema's DDL for a ClickHouse cluster, and
 * the settings that reach a secured Temporal (TLS, mTLS, Temporal Cloud API keys).
 */
import fs from 'node:fs';
import path from 'node:path';
import { ddlFor, MIGRATIONS } from '../../src/clickhouse/migrations';
import { bootstrapStatements } from '../../src/clickhouse/schema';
import { ConfigError, loadConfig } from '../../src/config';
import { temporalConnectionOptions } from '../../src/temporal/connectionOptions';
import { tempDir } from '../support/stack';

function allStatements(cluster?: string): string[] {
  return [...bootstrapStatements('orders', cluster), ...MIGRATIONS.flatMap((migration) => migration.statements(ddlFor('orders', cluster)))];
}

/** `CREATE … orders.name` and what follows the name. */
function created(statement: string): { name: string; rest: string } | undefined {
  const match = /^CREATE (?:DATABASE|TABLE|MATERIALIZED VIEW) IF NOT EXISTS (orders(?:\.\w+)?)(.*)$/s.exec(statement.trim());
  return match ? { name: match[1], rest: match[2] } : undefined;
}

describe('the schema on a ClickHouse cluster (CLICKHOUSE_CLUSTER)', () => {
  const statements = allStatements('orders_cluster');

  it('creates every database, table and view ON CLUSTER', () => {
    expect(statements.length).toBeGreaterThanOrEqual(9);
    for (const statement of statements) {
      const object = created(statement);
      expect(object).toBeDefined();
      expect(object!.rest.trimStart()).toMatch(/^ON CLUSTER `orders_cluster`/);
    }
  });

  it('makes every table Replicated, with the shard and replica macros and its version column kept', () => {
    const engines = statements.map((statement) => /ENGINE = (\S+?\(.*?\))\s/s.exec(statement)?.[1]).filter(Boolean);
    expect(engines).toHaveLength(7); // schema_migrations, order_events, three order read models, order_lines, order_events_rejected
    for (const engine of engines)
      expect(engine).toMatch(/^ReplicatedReplacingMergeTree\('\/clickhouse\/tables\/\{shard\}\/\{database\}\/\{table\}', '\{replica\}'/);
    expect(engines.filter((engine) => engine!.endsWith(', version)'))).toHaveLength(3);
    expect(engines.filter((engine) => engine!.endsWith(', changed_at)'))).toHaveLength(1);
    for (const statement of statements.filter((s) => /deduplication_window/.test(s))) {
      expect(statement).toContain('replicated_deduplication_window = 1000');
      expect(statement).not.toContain('non_replicated');
    }
  });

  it('leaves one server as it was: no ON CLUSTER, no Replicated engine', () => {
    for (const statement of allStatements()) {
      expect(statement).not.toMatch(/ON CLUSTER|Replicated/);
      expect(created(statement)).toBeDefined();
    }
    expect(allStatements().join('\n')).toContain('ENGINE = ReplacingMergeTree(version)');
  });

  it('refuses a cluster name that is not a name, and a cluster for the embedded database', () => {
    expect(() => loadConfig({ CLICKHOUSE_URL: 'http://ch:8123', CLICKHOUSE_CLUSTER: 'a b; DROP' })).toThrow(/CLICKHOUSE_CLUSTER/);
    expect(() => loadConfig({ CLICKHOUSE_CLUSTER: 'main' })).toThrow(/needs CLICKHOUSE_URL/);
    expect(loadConfig({ CLICKHOUSE_URL: 'http://ch:8123', CLICKHOUSE_CLUSTER: 'main' }).clickhouseCluster).toBe('main');
  });
});

describe('a secured Temporal (TEMPORAL_TLS*, TEMPORAL_API_KEY)', () => {
  const dir = tempDir('tls');
  const file = (name: string, text: string) => {
    fs.writeFileSync(path.join(dir, name), text);
    return path.join(dir, name);
  };
  const cert = file('client.pem', 'CERT');
  const key = file('client.key', 'KEY');
  const ca = file('ca.pem', 'CA');
  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('connects in plain gRPC when nothing is set', () => {
    const config = loadConfig({ TEMPORAL_ADDRESS: 'temporal:7233' });
    expect(temporalConnectionOptions('temporal:7233', config.temporalSecurity)).toEqual({ address: 'temporal:7233' });
  });

  it('uses TLS with an API key for Temporal Cloud', () => {
    const config = loadConfig({ TEMPORAL_ADDRESS: 'ns.acct.tmprl.cloud:7233', TEMPORAL_API_KEY: 'cloud-key' });
    expect(temporalConnectionOptions('ns.acct.tmprl.cloud:7233', config.temporalSecurity)).toEqual({
      address: 'ns.acct.tmprl.cloud:7233',
      tls: {},
      apiKey: 'cloud-key',
    });
  });

  it('reads the client certificate pair and the CA for mTLS', () => {
    const config = loadConfig({
      TEMPORAL_ADDRESS: 'temporal:7233',
      TEMPORAL_TLS_CERT: cert,
      TEMPORAL_TLS_KEY: key,
      TEMPORAL_TLS_CA: ca,
      TEMPORAL_TLS_SERVER_NAME: 'temporal.internal',
    });
    const options = temporalConnectionOptions('temporal:7233', config.temporalSecurity);
    expect(options.tls).toEqual({
      serverNameOverride: 'temporal.internal',
      serverRootCACertificate: Buffer.from('CA'),
      clientCertPair: { crt: Buffer.from('CERT'), key: Buffer.from('KEY') },
    });
  });

  it('names each bad setting on its own line', () => {
    try {
      loadConfig({ TEMPORAL_ADDRESS: 'temporal:7233', TEMPORAL_TLS: 'maybe', TEMPORAL_TLS_CERT: path.join(dir, 'missing.pem') });
      throw new Error('expected a ConfigError');
    } catch (error) {
      expect(error).toBeInstanceOf(ConfigError);
      const problems = (error as ConfigError).problems;
      expect(problems).toEqual(
        expect.arrayContaining([
          expect.stringMatching(/^TEMPORAL_TLS="maybe": must be true or false/),
          expect.stringMatching(/^TEMPORAL_TLS_CERT=.*missing\.pem": no such file/),
          expect.stringMatching(/give both/),
        ]),
      );
    }
    expect(() => loadConfig({ TEMPORAL_API_KEY: 'k' })).toThrow(/need TEMPORAL_ADDRESS/);
  });
});
