/**
 * The API and the worker as separate processes on one dev server and one ClickHouse, as an
 * operator runs them: one grep follows a command through both processes' logs, the worker serves
 * its metrics with the Temporal SDK's, readiness follows a dependency going away and coming back,
 * and SIGTERM lets in-flight work finish before the process exits.
 */
import { randomUUID } from 'node:crypto';
import { call } from '../support/http';
import { Background } from '../support/processes';
import { ScaledOut, startScaledOut, WORKER_ACTIVITY_SLOTS } from '../support/scaledOut';
import { eventually } from '../support/stack';

let cluster: ScaledOut;
let api: Background;
let worker: Background;

beforeAll(async () => {
  cluster = await startScaledOut();
  api = await cluster.launch('api');
  worker = await cluster.launch('worker');
}, 180_000);

afterAll(async () => {
  await cluster?.stop();
});

const order = (orderId: string) => ({ orderId, customerId: 'ops-customer', items: [{ productId: 'p', quantity: 1, price: 4.2 }] });

/** The JSON log lines of a process that mention `text`. */
function logLines(child: Background, text: string): Array<Record<string, any>> {
  return child.output
    .split('\n')
    .filter((line) => line.startsWith('{') && line.includes(text))
    .map((line) => JSON.parse(line));
}

it('lets one grep for a correlation id follow its commands from the API through the workflow to the append', async () => {
  const orderId = `trace-${randomUUID().slice(0, 8)}`;
  const correlationId = `corr-${randomUUID()}`;
  const commandId = `cmd-${randomUUID()}`;
  const reply = await call(cluster.apiUrl, 'POST', '/orders', {
    json: order(orderId),
    headers: { 'x-correlation-id': correlationId, 'idempotency-key': commandId },
  });
  expect(reply.status).toBe(201);
  expect((await call(cluster.apiUrl, 'GET', `/orders/${orderId}?minVersion=1`)).body.version).toBe(1);

  const fromApi = await eventually(async () => logLines(api, correlationId).find((line) => line.msg === 'command'), 10_000, 'the API log line');
  expect(fromApi).toMatchObject({ command: 'CreateOrder', orderId, commandId, correlationId, status: 201 });
  expect(fromApi.requestId).toEqual(expect.any(String));

  const applied = await eventually(async () => logLines(worker, correlationId).find((line) => line.msg === 'command applied'), 10_000, 'the workflow log line');
  expect(applied).toMatchObject({ orderId, commandId, correlationId, command: 'CreateOrder', version: 1, workflowId: `order-${orderId}` });
  // Answered synchronously: the API appended the event itself.
  const appended = await eventually(async () => logLines(api, correlationId).find((line) => line.msg === 'events appended'), 10_000, 'the append');
  expect(appended).toMatchObject({ orderId, versions: [1], commandIds: [commandId], correlationIds: [correlationId], written: 1 });

  // Accepted asynchronously: no caller appends, so the workflow's activity on the worker does.
  const confirmId = `cmd-${randomUUID()}`;
  const accepted = await call(cluster.apiUrl, 'POST', `/orders/${orderId}/status`, {
    json: { status: 'CONFIRMED' },
    headers: { 'x-correlation-id': correlationId, 'idempotency-key': confirmId, prefer: 'respond-async' },
  });
  expect(accepted.status).toBe(202);
  const delivered = await eventually(
    async () => logLines(worker, correlationId).find((line) => line.msg === 'events delivered'),
    10_000,
    'the activity log line',
  );
  // It writes the confirm's event; the create's, if its receipt has not reached the workflow yet, it finds there.
  expect(delivered).toMatchObject({ orderId, correlationIds: [correlationId], activityType: 'deliverOrderEvents', written: 1 });
  expect(delivered.commandIds).toContain(confirmId);
});

it("serves the worker's metrics, the Temporal SDK's included, on its own port", async () => {
  const page = await (await fetch(`http://127.0.0.1:${cluster.workerEnv.METRICS_PORT}/metrics`, { signal: AbortSignal.timeout(10_000) })).text();
  // The worker's delivery of the asynchronous command above ran through its writer.
  expect(Number(/^orders_event_append_duration_seconds_count\{result="ok"\} (\d+)/m.exec(page)?.[1])).toBeGreaterThan(0);
  // The SDK core's own: this worker's workflow task latencies, and that delivery's (a regular activity:
  // the signal's own workflow task decided the event).
  expect(page).toMatch(/^temporal_workflow_task_execution_latency\w*\{/m);
  expect(page).toMatch(/^temporal_activity_execution_latency\w*\{/m);
});

it('runs as many deliveries at once as WORKER_ACTIVITY_SLOTS says', async () => {
  // Once no delivery is running, every slot of the activity worker is free; the SDK core counts them.
  const slotsSeen: number[] = [];
  await eventually(
    async () => {
      const page = await (await fetch(`http://127.0.0.1:${cluster.workerEnv.METRICS_PORT}/metrics`, { signal: AbortSignal.timeout(10_000) })).text();
      const free = /^temporal_worker_task_slots_available\{[^}]*worker_type="ActivityWorker"[^}]*\} (\d+)/m.exec(page)?.[1];
      if (free !== undefined) slotsSeen.push(Number(free));
      return slotsSeen.at(-1) === WORKER_ACTIVITY_SLOTS ? true : undefined;
    },
    15_000,
    `${WORKER_ACTIVITY_SLOTS} free activity slots`,
  ).catch((error: Error) => {
    throw new Error(`${error.message}; seen: ${[...new Set(slotsSeen)].join(', ') || 'none'}`);
  });
});

it('turns readiness false while Temporal is away and true again once it is back, by itself', async () => {
  const restart = await cluster.stopTemporal();
  try {
    const down = await call(cluster.apiUrl, 'GET', '/readyz');
    expect(down.status).toBe(503);
    expect(down.body.checks.temporal).toMatch(/^unreachable/);
    expect(down.body.checks.clickhouse).toBe('ok');
  } finally {
    await restart();
  }
  await eventually(async () => ((await call(cluster.apiUrl, 'GET', '/readyz')).status === 200 ? true : undefined), 30_000, 'readiness to come back');
  // And commands work again, through the same API and worker processes.
  expect((await call(cluster.apiUrl, 'POST', '/orders', { json: order(`back-${randomUUID().slice(0, 8)}`) })).status).toBe(201);
});

it('turns readiness false while ClickHouse is away and true again once it is back, by itself', async () => {
  expect((await call(cluster.apiUrl, 'GET', '/readyz')).status).toBe(200);
  const restart = await cluster.stopClickHouse();
  try {
    const down = await call(cluster.apiUrl, 'GET', '/readyz');
    expect(down.status).toBe(503);
    expect(down.body.checks.clickhouse).toMatch(/^unreachable/);
    expect(down.body.checks.temporal).toBe('ok');
    // Reads that need ClickHouse say so with a 503, not a 500.
    const read = await call(cluster.apiUrl, 'GET', '/orders?limit=1');
    expect(read.status).toBe(503);
    expect(read.body.code).toBe('UNAVAILABLE');
  } finally {
    await restart();
  }
  await eventually(async () => ((await call(cluster.apiUrl, 'GET', '/readyz')).status === 200 ? true : undefined), 30_000, 'readiness to come back');
});

it('on SIGTERM lets an in-flight request finish, refuses new ones, and exits 0', async () => {
  // A read that waits for a version no order reaches holds its request open for the 5 s bound.
  const slow = call(cluster.apiUrl, 'GET', `/orders/missing-${randomUUID().slice(0, 8)}?minVersion=5`);
  await new Promise((resolve) => setTimeout(resolve, 500));
  const started = Date.now();
  api.child.kill('SIGTERM');
  const answered = await slow;
  expect([200, 404]).toContain(answered.status);
  expect(answered.headers.get('x-read-model-version-reached')).toBe('false');
  expect(await api.waitForExit(30_000)).toBe(0);
  expect(Date.now() - started).toBeLessThan(30_000);
  await expect(call(cluster.apiUrl, 'GET', '/healthz')).rejects.toThrow();
  expect(api.output).toMatch(/SIGTERM received: stopping/);
  expect(api.output).toMatch(/"msg":"stopped"/);

  worker.child.kill('SIGTERM');
  expect(await worker.waitForExit(30_000)).toBe(0);
  expect(worker.output).toMatch(/"msg":"stopped"/);
});
