/**
 * First contact with a real Temporal cluster (frontend, history, matching and worker services on
 * PostgreSQL), as a new user makes it: an operator created the namespace and nothing else. The
 * service registers its search attributes itself and the guide's demo passes. Where it cannot
 * (no namespace; a frontend that lets it write but not administer), readiness and every command
 * answer 503 naming the exact commands, and running those commands is all it takes.
 */
import { execFile, spawnSync } from 'node:child_process';
import path from 'node:path';
import { promisify } from 'node:util';
import { projectRoot } from '../../src/paths';
import { call, expectProblem } from '../support/http';
import { startJwtIssuer } from '../support/jwtIssuer';
import { OrdersOnCluster, startOrdersOnCluster } from '../support/ordersOnCluster';
import { Background } from '../support/processes';
import { eventually, TEST_KEYS, temporalCli } from '../support/stack';

let cluster: OrdersOnCluster;

beforeAll(async () => {
  cluster = await startOrdersOnCluster();
}, 180_000);

afterAll(async () => {
  await cluster?.stop();
});

const order = (orderId: string) => ({ orderId, customerId: 'first-contact', items: [{ productId: 'p', quantity: 1, price: 2.5 }] });

/** Runs a command as readiness wrote it (plus any credentials), with the Temporal CLI, as an operator would. */
function runAsOperator(command: string, ...credentials: string[]): void {
  const [program, ...args] = command.split(' ');
  expect(program).toBe('temporal');
  const result = spawnSync(temporalCli(), [...args, ...credentials], { encoding: 'utf8', timeout: 30_000 });
  expect({ command, status: result.status, stderr: result.stderr }).toMatchObject({ status: 0 });
}

/** The commands a readiness line names after `run: `. */
const commandsIn = (line: string) => line.slice(line.indexOf('run: ') + 'run: '.length).split(' && ');

const ready = (api: string) => eventually(async () => ((await call(api, 'GET', '/readyz')).status === 200 ? true : undefined), 60_000, `${api} ready`);

describe('on a cluster whose namespace an operator created, and nothing else', () => {
  let api: string;
  const started: Background[] = [];

  beforeAll(async () => {
    const apiProcess = await cluster.launch('api');
    started.push(apiProcess, await cluster.launch('worker'));
    api = cluster.apiUrlOf(apiProcess);
  });

  afterAll(async () => {
    for (const child of started) await child.stop();
  });

  it('registers the order search attributes itself, then answers ready', async () => {
    await ready(api);
    expect((await call(api, 'GET', '/readyz')).body.checks.temporalSetup).toBe('ok');
    const { client, close } = await cluster.temporalClient();
    try {
      const listed = await client.connection.operatorService.listSearchAttributes({ namespace: cluster.namespace });
      expect(Object.keys(listed.customAttributes ?? {})).toEqual(expect.arrayContaining(['OrderStatus', 'CustomerId', 'OrderTotal']));
    } finally {
      await close();
    }
  });

  it("passes the guide's demo, and `temporal workflow list` finds the shipped order by its status", async () => {
    const { stdout } = await promisify(execFile)(process.execPath, [path.join(projectRoot(), 'dist', 'src', 'cli', 'demo.js')], {
      env: { ...process.env, ORDERS_API_URL: api, ORDERS_API_KEY: TEST_KEYS.admin },
      timeout: 120_000,
    });
    expect(stdout).toContain('Total orders:        3');
    expect(stdout).toContain('Total revenue:       299.93');
    expect(stdout).toContain('Net revenue:         199.94');
    expect(stdout).toContain('Average order value: 99.98');
    expect(stdout).toMatch(/Shipped orders: 1\n {4}1\. order-001 {2}customer customer-123/);
    expect(stdout).toContain('Demo complete.');
    // OrderStatus follows an order once it settles, within seconds of its last command.
    const found = await eventually(
      async () => {
        const list = spawnSync(
          temporalCli(),
          ['workflow', 'list', '--address', cluster.temporal.address, '--namespace', cluster.namespace, '--query', "OrderStatus = 'SHIPPED'"],
          { encoding: 'utf8', timeout: 30_000 },
        );
        return list.stdout.includes('order-order-001') ? list.stdout : undefined;
      },
      30_000,
      'the shipped order in Temporal visibility',
    );
    expect(found).not.toContain('order-order-002');
  });
});

describe('on a namespace that does not exist', () => {
  const namespace = 'orders-not-yet';
  let api: string;
  const started: Background[] = [];

  beforeAll(async () => {
    const apiProcess = await cluster.launch('api', { TEMPORAL_NAMESPACE: namespace });
    started.push(apiProcess);
    api = cluster.apiUrlOf(apiProcess);
  });

  afterAll(async () => {
    for (const child of started) await child.stop();
  });

  it('answers readiness and commands 503 naming the command that creates it, never 500', async () => {
    const readiness = await call(api, 'GET', '/readyz');
    expect(readiness.status).toBe(503);
    const create = `temporal operator namespace create --address ${cluster.temporal.address} --namespace ${namespace}`;
    expect(readiness.body.checks.temporalSetup).toContain(`run: ${create}`);
    const refused = await call(api, 'POST', '/orders', { json: order('before-the-namespace') });
    expectProblem(refused, 503, 'UNAVAILABLE');
    expect(refused.body.detail).toContain(create);
    expect(refused.headers.get('retry-after')).toBe('1');
  });

  it('keeps a worker from starting, naming the same command', async () => {
    const create = `temporal operator namespace create --address ${cluster.temporal.address} --namespace ${namespace}`;
    const failed = await cluster.launch('worker', { TEMPORAL_NAMESPACE: namespace }).catch((error: Error) => error);
    expect(failed).toBeInstanceOf(Error);
    expect((failed as Error).message).toMatch(/^process exited \(1\)/);
    expect((failed as Error).message).toContain(create);
  });

  it('serves once an operator runs that command: the search attributes it registers itself', async () => {
    const [create] = commandsIn((await call(api, 'GET', '/readyz')).body.checks.temporalSetup);
    runAsOperator(create);
    await ready(api);
    started.push(await cluster.launch('worker', { TEMPORAL_NAMESPACE: namespace }));
    expect((await call(api, 'POST', '/orders', { json: order('after-the-namespace') })).status).toBe(201);
  });
});

describe('on a frontend that lets this service write to its namespace but not administer it', () => {
  const namespace = 'orders-restricted';
  let api: string;
  let adminToken: string;
  let restricted: { address: string; stop(): Promise<void> };
  let close: () => Promise<void>;
  const started: Background[] = [];

  beforeAll(async () => {
    const issuer = await startJwtIssuer();
    await cluster.temporal.createNamespace(namespace);
    restricted = await cluster.temporal.startRestrictedFrontend(issuer.jwksUrl);
    close = async () => {
      await restricted.stop();
      await issuer.close();
    };
    adminToken = issuer.token([`${namespace}:admin`]);
    // As Temporal Cloud or a secured cluster is reached: an API key, here a JWT the frontend verifies.
    const writer = {
      TEMPORAL_ADDRESS: restricted.address,
      TEMPORAL_NAMESPACE: namespace,
      TEMPORAL_API_KEY: issuer.token([`${namespace}:write`]),
      TEMPORAL_TLS: 'false',
    };
    const apiProcess = await cluster.launch('api', writer);
    started.push(apiProcess, await cluster.launch('worker', writer));
    api = cluster.apiUrlOf(apiProcess);
  });

  afterAll(async () => {
    for (const child of started) await child.stop();
    await close?.();
  });

  it('answers readiness and commands 503 naming the command that registers the search attributes', async () => {
    const readiness = await call(api, 'GET', '/readyz');
    expect(readiness.status).toBe(503);
    const line: string = readiness.body.checks.temporalSetup;
    expect(line).toContain('the server refused to register them');
    expect(line).toContain(
      `run: temporal operator search-attribute create --address ${restricted.address} --namespace ${namespace} --name OrderStatus --type Keyword --name CustomerId --type Keyword --name OrderTotal --type Double`,
    );
    const refused = await call(api, 'POST', '/orders', { json: order('before-the-attributes') });
    expectProblem(refused, 503, 'UNAVAILABLE');
    expect(refused.body.detail).toContain('temporal operator search-attribute create');
  });

  it('serves once an administrator runs it', async () => {
    const [register] = commandsIn((await call(api, 'GET', '/readyz')).body.checks.temporalSetup);
    runAsOperator(register, '--api-key', adminToken, '--tls=false');
    await ready(api);
    expect((await call(api, 'POST', '/orders', { json: order('after-the-attributes') })).status).toBe(201);
  });
});
