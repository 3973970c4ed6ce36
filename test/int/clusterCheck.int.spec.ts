/**
 * The check every role makes of its Temporal namespace, on a real Temporal server (the dev server,
 * whose operator service allows registering search attributes): what it says is missing, that the
 * commands it names are the ones that fix it, that it registers search attributes itself, and that
 * commands meanwhile answer 503 UNAVAILABLE with that reason.
 */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import { randomUUID } from 'node:crypto';
import { Client, Connection } from '@temporalio/client';
import { TypedSearchAttributes } from '@temporalio/common';
import { DomainError } from '../../src/domain/errors';
import { silentLogger } from '../../src/logger';
import { ClusterState, prepareCluster } from '../../src/temporal/clusterCheck';
import { checkClusterForWorker, ClusterGate } from '../../src/temporal/clusterGate';
import { DevServer, startDevServer } from '../../src/temporal/devServer';
import { CUSTOMER_ID_ATTRIBUTE, ORDER_STATUS_ATTRIBUTE, ORDER_TOTAL_ATTRIBUTE } from '../../workflows/messages';
import { eventually, freePort, temporalCli, tempDir } from '../support/stack';

let server: DevServer;
let connection: Connection;
let dataDir: string;

beforeAll(async () => {
  dataDir = tempDir('cluster-check');
  server = await startDevServer({
    binary: { kind: 'path', path: temporalCli(), source: 'the test' },
    dataDir,
    port: await freePort(),
    uiPort: await freePort(),
    namespace: 'default',
    say: () => {},
  });
  connection = await Connection.connect({ address: server.address });
});

afterAll(async () => {
  await connection?.close();
  await server?.stop();
  fs.rmSync(dataDir, { recursive: true, force: true });
});

/** Runs a command as the check wrote it, with the Temporal CLI this suite uses. */
function run(command: string): void {
  const [program, ...args] = command.split(' ');
  expect(program).toBe('temporal');
  const result = spawnSync(temporalCli(), args, { encoding: 'utf8', timeout: 30_000 });
  expect({ command, status: result.status, stderr: result.stderr }).toMatchObject({ status: 0 });
}

const target = (namespace: string) => ({ address: server.address, namespace, secured: false });
const notReady = (state: ClusterState) => {
  if (state.ready) throw new Error('expected the namespace not to be ready');
  return state;
};
const untilReady = (namespace: string) =>
  eventually(async () => ((await prepareCluster(connection, target(namespace))).ready ? true : undefined), 30_000, `${namespace} to be ready`);

/** An order-like workflow start with every order search attribute, on a task queue nobody polls. */
function startWithOrderAttributes(client: Client) {
  return client.workflow.start('orderWorkflow', {
    workflowId: `check-${randomUUID()}`,
    taskQueue: 'nobody-polls',
    typedSearchAttributes: new TypedSearchAttributes([
      { key: ORDER_STATUS_ATTRIBUTE, value: 'PENDING' },
      { key: CUSTOMER_ID_ATTRIBUTE, value: 'c' },
      { key: ORDER_TOTAL_ATTRIBUTE, value: 1.5 },
    ]),
  });
}

describe('when the namespace does not exist', () => {
  const namespace = `orders-${randomUUID().slice(0, 8)}`;

  it('names the commands that create it and its search attributes', async () => {
    const state = notReady(await prepareCluster(connection, target(namespace)));
    expect(state.needs).toBe('namespace');
    expect(state.problem).toBe(`the namespace "${namespace}" does not exist on ${server.address}`);
    expect(state.commands).toEqual([
      `temporal operator namespace create --address ${server.address} --namespace ${namespace}`,
      `temporal operator search-attribute create --address ${server.address} --namespace ${namespace} --name OrderStatus --type Keyword --name CustomerId --type Keyword --name OrderTotal --type Double`,
    ]);
  });

  it('answers a command 503 UNAVAILABLE naming the command, instead of letting Temporal refuse it', async () => {
    const check = new ClusterGate(connection, target(namespace), silentLogger());
    const client = new Client({ connection, namespace, interceptors: { workflow: [check.interceptor()] } });
    const refused = await startWithOrderAttributes(client).catch((error: unknown) => error);
    expect(refused).toBeInstanceOf(DomainError);
    expect(refused).toMatchObject({ code: 'UNAVAILABLE' });
    expect((refused as Error).message).toContain(`run: temporal operator namespace create --address ${server.address} --namespace ${namespace}`);
    expect(await check.readiness()).toMatch(/^the namespace ".*" does not exist/);
  });

  it('keeps a worker from starting, saying what to create', async () => {
    await expect(checkClusterForWorker({ address: server.address }, namespace, silentLogger())).rejects.toThrow(
      `run: temporal operator namespace create --address ${server.address} --namespace ${namespace}`,
    );
  });

  it('once the namespace is created, registers the search attributes itself and lets orders start', async () => {
    const check = new ClusterGate(connection, target(namespace), silentLogger());
    run(notReady(await prepareCluster(connection, target(namespace))).commands[0]);
    await untilReady(namespace);
    expect(await check.readiness()).toBe('ok');
    const client = new Client({ connection, namespace, interceptors: { workflow: [check.interceptor()] } });
    const handle = await startWithOrderAttributes(client);
    await handle.terminate('started only to show that orders can start');
  });
});

describe('when a search attribute is registered with another type', () => {
  const namespace = `orders-${randomUUID().slice(0, 8)}`;

  it('names the commands that replace it, which make the namespace ready', async () => {
    run(`temporal operator namespace create --address ${server.address} --namespace ${namespace}`);
    run(`temporal operator search-attribute create --address ${server.address} --namespace ${namespace} --name OrderTotal --type Keyword`);
    const state = await eventually(
      async () => {
        const current = await prepareCluster(connection, target(namespace));
        return !current.ready && current.needs === 'searchAttributes' ? current : undefined;
      },
      30_000,
      'the check to see the mistyped attribute',
    );
    expect(state.problem).toContain('OrderTotal: Double');
    expect(state.commands).toEqual([
      `temporal operator search-attribute remove --address ${server.address} --namespace ${namespace} --name OrderTotal --yes`,
      `temporal operator search-attribute create --address ${server.address} --namespace ${namespace} --name OrderTotal --type Double`,
    ]);
    for (const command of state.commands) run(command);
    await untilReady(namespace);
  });
});
