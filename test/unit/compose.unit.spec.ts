/**
 * No Docker engine runs here, so the scaled-out topology is checked by reading it: the services,
 * official images, ports, the wiring of the environment, and the start-up order.
 */
import fs from 'node:fs';
import path from 'node:path';
import { parse } from 'yaml';
import { loadConfig } from '../../src/config';
import { projectRoot } from '../../src/paths';

interface Service {
  image?: string;
  build?: string;
  command?: string[];
  ports?: string[];
  environment?: Record<string, string>;
  depends_on?: Record<string, { condition: string }> | string[];
  deploy?: { replicas?: number };
}

const root = projectRoot();
const compose = parse(fs.readFileSync(path.join(root, 'docker-compose.yml'), 'utf8'), { merge: true }) as { services: Record<string, Service> };
const services = compose.services;

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

function dependencies(service: Service): string[] {
  const dependsOn = service.depends_on ?? [];
  return Array.isArray(dependsOn) ? dependsOn : Object.keys(dependsOn);
}

describe('docker-compose.yml', () => {
  it('has Temporal on PostgreSQL, the Web UI, ClickHouse, and the api and worker', () => {
    expect(Object.keys(services).sort()).toEqual(['api', 'clickhouse', 'postgresql', 'temporal', 'temporal-setup', 'temporal-ui', 'worker']);
  });

  it('uses official images, pinned', () => {
    expect(services.postgresql.image).toMatch(/^postgres:\d+/);
    expect(services.temporal.image).toMatch(/^temporalio\/auto-setup:\d+\.\d+\.\d+$/);
    expect(services['temporal-setup'].image).toMatch(/^temporalio\/admin-tools:/);
    expect(services['temporal-ui'].image).toMatch(/^temporalio\/ui:\d+\.\d+\.\d+$/);
    expect(services.clickhouse.image).toMatch(/^clickhouse\/clickhouse-server:\d+\.\d+$/);
  });

  it('builds api and worker from the Dockerfile and runs each role alone', () => {
    expect(services.api.build).toBe('.');
    expect(services.worker.build).toBe('.');
    expect(services.api.command).toEqual(['node', 'dist/src/bin/startApi.js']);
    expect(services.worker.command).toEqual(['node', 'dist/src/bin/startWorker.js']);
    for (const entry of ['src/bin/startApi.ts', 'src/bin/startWorker.ts', 'Dockerfile']) expect(fs.existsSync(path.join(root, entry))).toBe(true);
    const dockerfile = fs.readFileSync(path.join(root, 'Dockerfile'), 'utf8');
    expect(dockerfile).toContain('npm run build');
    expect(dockerfile).toMatch(/^FROM node:20/m);
  });

  it('runs two replicas each of api and worker, the API on host ports 3000 and 3001', () => {
    expect(services.api.deploy?.replicas).toBe(2);
    expect(services.worker.deploy?.replicas).toBe(2);
    expect(services.api.ports).toEqual(['3000-3001:3000']);
    expect(services.worker.ports).toBeUndefined();
  });

  it('publishes Temporal on 7233, the Web UI on 8233 and ClickHouse on 8123', () => {
    expect(services.temporal.ports).toContain('7233:7233');
    expect(services['temporal-ui'].ports).toContain('8233:8080');
    expect(services.clickhouse.ports).toContain('8123:8123');
  });

  it.each(['api', 'worker'])('wires %s to the Temporal and ClickHouse services through the configuration of DESIGN §5', (name) => {
    const environment = withDefaults(services[name].environment!);
    const config = loadConfig(environment);
    expect(config.temporalAddress).toBe('temporal:7233');
    expect(new URL(config.clickhouseUrl!).hostname).toBe('clickhouse');
    expect(config.clickhouseUser).toBe(withDefaults(services.clickhouse.environment!).CLICKHOUSE_USER);
    expect(config.clickhousePassword).toBe(withDefaults(services.clickhouse.environment!).CLICKHOUSE_PASSWORD);
    expect(config.clickhouseDatabase).toBe(services.clickhouse.environment!.CLICKHOUSE_DB);
    expect(config.clickhouseUser).not.toBe('default');
    expect(config.apiKeys).toEqual([{ secret: 'compose-admin-key-0123456789', role: 'admin' }]);
    expect(services[name].environment!.API_KEYS).toMatch(/^\$\{API_KEYS:\?/);
    const known = [
      'PORT',
      'TEMPORAL_ADDRESS',
      'TEMPORAL_NAMESPACE',
      'TEMPORAL_TASK_QUEUE',
      'CLICKHOUSE_URL',
      'CLICKHOUSE_USER',
      'CLICKHOUSE_PASSWORD',
      'CLICKHOUSE_DATABASE',
      'API_KEYS',
      'LOG_LEVEL',
      'METRICS_PORT',
      'TEMPORAL_METRICS_ADDRESS',
    ];
    expect(Object.keys(environment).filter((key) => !known.includes(key))).toEqual([]);
    expect(dependencies(services[name]).sort()).toEqual(['clickhouse', 'temporal']);
  });

  it('starts Temporal after PostgreSQL and points the UI and the setup at Temporal', () => {
    expect(dependencies(services.temporal)).toEqual(['postgresql']);
    expect(services.temporal.environment!.POSTGRES_SEEDS).toBe('postgresql');
    expect(services['temporal-ui'].environment!.TEMPORAL_ADDRESS).toBe('temporal:7233');
    expect(services['temporal-setup'].environment!.TEMPORAL_ADDRESS).toBe('temporal:7233');
  });

  it('registers the order search attributes', () => {
    const script = JSON.stringify(services['temporal-setup']);
    for (const attribute of ['OrderStatus=Keyword', 'CustomerId=Keyword', 'OrderTotal=Double']) expect(script).toContain(attribute);
  });
});
