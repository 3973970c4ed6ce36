/**
 * The cluster topology without a cluster at hand: the schema's DDL for a ClickHouse cluster, and
 * the settings that reach a Temporal cluster (profiles, TLS, mTLS, Temporal Cloud API keys).
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

describe('the Temporal connection, read as Temporal clients read it (@temporalio/envconfig)', () => {
  const dir = tempDir('tls');
  const file = (name: string, text: string) => {
    fs.writeFileSync(path.join(dir, name), text);
    return path.join(dir, name);
  };
  const cert = file('client.pem', 'CERT');
  const key = file('client.key', 'KEY');
  const ca = file('ca.pem', 'CA');
  const profiles = file(
    'temporal.toml',
    [
      '[profile.default]',
      'address = "localhost:7233"',
      '',
      '[profile.cloud]',
      'address = "ns.acct.tmprl.cloud:7233"',
      'namespace = "ns.acct"',
      'api_key = "from-profile"',
    ].join('\n'),
  );
  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

  const connect = (env: Record<string, string>) => {
    const config = loadConfig(env);
    return { ...temporalConnectionOptions(config.temporalAddress!, config.temporalConnection), namespace: config.temporalNamespace };
  };

  it('starts the embedded dev server when neither the environment nor a profile names an address', () => {
    const config = loadConfig({ TEMPORAL_NAMESPACE: 'orders-dev' });
    expect(config.temporalAddress).toBeUndefined();
    expect(config.temporalNamespace).toBe('orders-dev');
    expect(config.temporalConnection).toEqual({});
  });

  it('connects in plain gRPC to TEMPORAL_ADDRESS when nothing else is set', () => {
    expect(connect({ TEMPORAL_ADDRESS: 'temporal:7233' })).toEqual({ address: 'temporal:7233', namespace: 'default' });
  });

  it('uses TLS with an API key for Temporal Cloud, unless TEMPORAL_TLS says otherwise', () => {
    expect(connect({ TEMPORAL_ADDRESS: 'ns.acct.tmprl.cloud:7233', TEMPORAL_NAMESPACE: 'ns.acct', TEMPORAL_API_KEY: 'cloud-key' })).toEqual({
      address: 'ns.acct.tmprl.cloud:7233',
      namespace: 'ns.acct',
      tls: true,
      apiKey: 'cloud-key',
    });
    expect(connect({ TEMPORAL_ADDRESS: 'temporal:7233', TEMPORAL_API_KEY: 'k', TEMPORAL_TLS: 'false' }).tls).toBe(false);
  });

  it('reads the client certificate pair and the CA for mTLS', () => {
    const options = connect({
      TEMPORAL_ADDRESS: 'temporal:7233',
      TEMPORAL_TLS_CLIENT_CERT_PATH: cert,
      TEMPORAL_TLS_CLIENT_KEY_PATH: key,
      TEMPORAL_TLS_SERVER_CA_CERT_PATH: ca,
      TEMPORAL_TLS_SERVER_NAME: 'temporal.internal',
    });
    expect(options.tls).toEqual({
      serverNameOverride: 'temporal.internal',
      serverRootCACertificate: Uint8Array.from(Buffer.from('CA')),
      clientCertPair: { crt: Uint8Array.from(Buffer.from('CERT')), key: Uint8Array.from(Buffer.from('KEY')) },
    });
  });

  it('takes the address, namespace and key from the profile TEMPORAL_PROFILE names, and the environment over it', () => {
    expect(connect({ TEMPORAL_CONFIG_FILE: profiles })).toEqual({ address: 'localhost:7233', namespace: 'default' });
    expect(connect({ TEMPORAL_CONFIG_FILE: profiles, TEMPORAL_PROFILE: 'cloud' })).toEqual({
      address: 'ns.acct.tmprl.cloud:7233',
      namespace: 'ns.acct',
      tls: true,
      apiKey: 'from-profile',
    });
    expect(connect({ TEMPORAL_CONFIG_FILE: profiles, TEMPORAL_PROFILE: 'cloud', TEMPORAL_API_KEY: 'from-env' }).apiKey).toBe('from-env');
  });

  it('sends the gRPC headers TEMPORAL_GRPC_META_* give', () => {
    expect(connect({ TEMPORAL_ADDRESS: 'temporal:7233', TEMPORAL_GRPC_META_X_TENANT: 'shop-1' }).metadata).toEqual({ 'x-tenant': 'shop-1' });
  });

  it('names each bad setting on its own line', () => {
    try {
      loadConfig({ TEMPORAL_ADDRESS: 'temporal:7233', TEMPORAL_TLS: 'maybe', TEMPORAL_TLS_CLIENT_CERT_PATH: path.join(dir, 'missing.pem') });
      throw new Error('expected a ConfigError');
    } catch (error) {
      expect(error).toBeInstanceOf(ConfigError);
      const problems = (error as ConfigError).problems;
      expect(problems).toEqual(
        expect.arrayContaining([
          expect.stringMatching(/^TEMPORAL_TLS="maybe": must be true or false/),
          expect.stringMatching(/^TEMPORAL_TLS_CLIENT_CERT_PATH=.*missing\.pem": no such file/),
          expect.stringMatching(/give both/),
        ]),
      );
    }
    expect(() => loadConfig({ TEMPORAL_API_KEY: 'k' })).toThrow(/need TEMPORAL_ADDRESS/);
    expect(() => loadConfig({ TEMPORAL_ADDRESS: 'http://temporal' })).toThrow(/TEMPORAL_ADDRESS="http:\/\/temporal": must be host:port/);
    expect(() => loadConfig({ TEMPORAL_CONFIG_FILE: profiles, TEMPORAL_PROFILE: 'staging' })).toThrow(/Profile 'staging' not found/);
  });
});
