/**
 * No Docker engine runs here, so docker-compose.yml is checked by reading it: that it is the
 * topology the cluster tier runs (Temporal's four services apart, on PostgreSQL, at the server
 * version the tier builds, with the same dynamic config, the schema set up by the admin-tools
 * image's SQL tool, only the namespace created by hand), and that the service is wired to it
 * through the configuration it reads.
 */
import fs from 'node:fs';
import path from 'node:path';
import { parse } from 'yaml';
import { loadConfig } from '../../src/config';
import { projectRoot } from '../../src/paths';
import { DYNAMIC_CONFIG_FILE } from '../support/temporalCluster';

interface Service {
  image?: string;
  build?: string;
  command?: string[];
  entrypoint?: string[];
  ports?: string[];
  volumes?: string[];
  environment?: Record<string, string>;
  depends_on?: Record<string, { condition: string }> | string[];
  deploy?: { replicas?: number };
}

const root = projectRoot();
const compose = parse(fs.readFileSync(path.join(root, 'docker-compose.yml'), 'utf8'), { merge: true }) as { services: Record<string, Service> };
const services = compose.services;
/** The Temporal server version the cluster tier builds: the one declaration of it. */
const TEMPORAL_VERSION = /^TEMPORAL_SERVER_VERSION=(\S+)$/m.exec(fs.readFileSync(path.join(root, 'scripts', 'cluster', 'install.sh'), 'utf8'))![1];
const TEMPORAL_ROLES = ['history', 'matching', 'frontend', 'worker'];

/** A value given for each required variable (`${NAME:?message}`), as an .env file would. */
const GIVEN: Record<string, string> = { API_KEYS: 'compose-admin-key-0123456789:admin' };

/** `${NAME:-default}` and `${NAME:?message}` as Compose substitutes them. */
function withDefaults(environment: Record<string, string>): Record<string, string> {
  return Object.fromEntries(
    Object.entries(environment).map(([key, value]) => [
      key,
      String(value)
        .replace(/\$\{[A-Z_]+:-([^}]*)\}/g, '$1')
        .replace(/\$\{([A-Z_]+):\?[^}]*\}/g, (_match, name: string) => GIVEN[name] ?? ''),
    ]),
  );
}

function dependencies(service: Service): Record<string, string> {
  const dependsOn = service.depends_on ?? [];
  return Array.isArray(dependsOn)
    ? Object.fromEntries(dependsOn.map((name) => [name, 'service_started']))
    : Object.fromEntries(Object.entries(dependsOn).map(([name, { condition }]) => [name, condition]));
}

/** The shell script a job runs, as one line. */
const script = (service: Service) => (service.command ?? []).join(' ');

describe('docker-compose.yml', () => {
  it('has PostgreSQL, its schema job, the four Temporal services, the namespace job, the Web UI, ClickHouse, and the api and worker', () => {
    expect(Object.keys(services).sort()).toEqual(
      [
        'api',
        'clickhouse',
        'postgresql',
        'temporal-frontend',
        'temporal-history',
        'temporal-matching',
        'temporal-namespace',
        'temporal-schema',
        'temporal-ui',
        'temporal-worker',
        'worker',
      ].sort(),
    );
  });

  it('runs the Temporal server the cluster tier builds, one role per service, and not the deprecated auto-setup image', () => {
    for (const role of TEMPORAL_ROLES) {
      const service = services[`temporal-${role}`];
      expect(service.image).toBe(`temporalio/server:${TEMPORAL_VERSION}`);
      expect(service.environment!.TEMPORAL_SERVICES).toBe(role);
    }
    expect(JSON.stringify(services)).not.toContain('auto-setup');
    for (const job of ['temporal-schema', 'temporal-namespace'])
      expect(services[job].image).toMatch(new RegExp(`^temporalio/admin-tools:${TEMPORAL_VERSION.replace(/\./g, '\\.')}-`));
    expect(services['temporal-ui'].image).toMatch(/^temporalio\/ui:\d+\.\d+\.\d+$/);
    expect(services.postgresql.image).toMatch(/^postgres:\d+$/);
    expect(services.clickhouse.image).toMatch(/^clickhouse\/clickhouse-server:\d+\.\d+$/);
  });

  it('sets up both schemas with the admin-tools SQL tool, as the tier does, before any Temporal service starts', () => {
    const setup = services['temporal-schema'];
    expect(setup.environment).toMatchObject({ SQL_PLUGIN: 'postgres12', SQL_HOST: 'postgresql', SQL_USER: 'temporal' });
    expect(setup.environment!.SQL_PASSWORD).toBe(services.postgresql.environment!.POSTGRES_PASSWORD);
    for (const step of ['create-database', 'setup-schema -v 0.0', 'update-schema -d /etc/temporal/schema/postgresql/v12/$$schema/versioned'])
      expect(script(setup)).toContain(`temporal-sql-tool --database $$name ${step}`);
    expect(script(setup)).toContain('temporal:temporal temporal_visibility:visibility');
    expect(dependencies(setup)).toEqual({ postgresql: 'service_healthy' });
    expect(dependencies(services['temporal-history'])).toEqual({ 'temporal-schema': 'service_completed_successfully' });
  });

  it('starts the Temporal services in the order the tier does, each on the same store, with the dynamic config the tier runs', () => {
    expect(dependencies(services['temporal-matching'])).toEqual({ 'temporal-history': 'service_started' });
    expect(dependencies(services['temporal-frontend'])).toEqual({ 'temporal-matching': 'service_started' });
    expect(dependencies(services['temporal-worker'])).toEqual({ 'temporal-frontend': 'service_started' });
    for (const role of TEMPORAL_ROLES) {
      const service = services[`temporal-${role}`];
      expect(withDefaults(service.environment!)).toMatchObject({
        DB: 'postgres12',
        POSTGRES_SEEDS: 'postgresql',
        POSTGRES_USER: 'temporal',
        POSTGRES_PWD: 'temporal',
      });
      const [source, target] = service.volumes![0].split(':');
      expect(path.resolve(root, source)).toBe(DYNAMIC_CONFIG_FILE);
      expect(`/etc/temporal/${service.environment!.DYNAMIC_CONFIG_FILE_PATH}`).toBe(target);
    }
    expect(services['temporal-frontend'].ports).toEqual(['7233:7233']);
    expect(services['temporal-worker'].environment!.PUBLIC_FRONTEND_ADDRESS).toBe('temporal-frontend:7233');
  });

  it('creates the namespace and nothing else: the service registers its search attributes itself', () => {
    const job = services['temporal-namespace'];
    expect(job.environment!.TEMPORAL_ADDRESS).toBe('temporal-frontend:7233');
    expect(script(job)).toContain('temporal operator namespace create --namespace default');
    expect(script(job)).not.toContain('search-attribute');
  });

  it('builds api and worker from the Dockerfile and runs each role alone, two replicas each, the API on host ports 3000 and 3001', () => {
    expect(services.api.build).toBe('.');
    expect(services.worker.build).toBe('.');
    expect(services.api.command).toEqual(['node', 'dist/src/bin/startApi.js']);
    expect(services.worker.command).toEqual(['node', 'dist/src/bin/startWorker.js']);
    for (const entry of ['src/bin/startApi.ts', 'src/bin/startWorker.ts', 'Dockerfile']) expect(fs.existsSync(path.join(root, entry))).toBe(true);
    const dockerfile = fs.readFileSync(path.join(root, 'Dockerfile'), 'utf8');
    expect(dockerfile).toContain('npm run build');
    expect(dockerfile).toMatch(/^FROM node:20/m);
    expect(services.api.deploy?.replicas).toBe(2);
    expect(services.worker.deploy?.replicas).toBe(2);
    expect(services.api.ports).toEqual(['3000-3001:3000']);
    expect(services.worker.ports).toBeUndefined();
  });

  it.each(['api', 'worker'])('wires %s to the Temporal frontend and ClickHouse through the configuration it reads', (name) => {
    const environment = withDefaults(services[name].environment!);
    const config = loadConfig(environment);
    expect(config.temporalAddress).toBe('temporal-frontend:7233');
    expect(config.temporalNamespace).toBe('default');
    expect(new URL(config.clickhouseUrl!).hostname).toBe('clickhouse');
    expect(config.clickhouseUser).toBe(withDefaults(services.clickhouse.environment!).CLICKHOUSE_USER);
    expect(config.clickhousePassword).toBe(withDefaults(services.clickhouse.environment!).CLICKHOUSE_PASSWORD);
    expect(config.clickhouseDatabase).toBe(services.clickhouse.environment!.CLICKHOUSE_DB);
    expect(config.clickhouseUser).not.toBe('default');
    expect(config.apiKeys).toEqual([{ secret: 'compose-admin-key-0123456789', role: 'admin' }]);
    expect(services[name].environment!.API_KEYS).toMatch(/^\$\{API_KEYS:\?/);
    expect(dependencies(services[name])).toEqual({ 'temporal-namespace': 'service_completed_successfully', clickhouse: 'service_healthy' });
    // Every variable set is one the service reads (README, Configuration).
    const read = ['PORT', 'TEMPORAL_ADDRESS', 'TEMPORAL_NAMESPACE', 'TEMPORAL_TASK_QUEUE', 'CLICKHOUSE_URL', 'CLICKHOUSE_USER', 'CLICKHOUSE_PASSWORD'];
    read.push('CLICKHOUSE_DATABASE', 'API_KEYS', 'LOG_LEVEL', 'METRICS_PORT', 'TEMPORAL_METRICS_ADDRESS');
    expect(Object.keys(environment).filter((key) => !read.includes(key))).toEqual([]);
  });

  it('points the Web UI at the frontend and publishes it on 8233, and ClickHouse on 8123', () => {
    expect(services['temporal-ui'].environment!.TEMPORAL_ADDRESS).toBe('temporal-frontend:7233');
    expect(services['temporal-ui'].ports).toContain('8233:8080');
    expect(services.clickhouse.ports).toContain('8123:8123');
  });
});
