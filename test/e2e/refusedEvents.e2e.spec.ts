/**
 * An event the event log refuses for good, on the whole service with the real engines: a CHECK
 * constraint on `order_events` (what an operator's schema change could bring) makes ClickHouse
 * refuse one order's rows. The refusal is recorded, counted in /metrics, reported by /readyz and
 * in the order's Web UI details, other orders' events go in meanwhile, and once the constraint is
 * gone the admin route has the order deliver its held events, in order.
 */
import { Client, Connection } from '@temporalio/client';
import { orderWorkflowId } from '../../workflows/messages';
import { call } from '../support/http';
import { eventually, startTestStack, TestStack } from '../support/stack';

let stack: TestStack;
let temporal: Client;
const held = `refused-${Date.now()}`;
const healthy = `healthy-${Date.now()}`;

beforeAll(async () => {
  stack = await startTestStack();
  temporal = new Client({ connection: await Connection.connect({ address: stack.temporalAddress }) });
  await stack.ch.client.command({ query: `ALTER TABLE ${stack.ch.database}.order_events ADD CONSTRAINT not_this_order CHECK order_id != '${held}'` });
});

afterAll(async () => {
  await temporal?.connection.close();
  await stack?.stop();
});

const order = (orderId: string) => ({ orderId, customerId: 'c-refused', items: [{ productId: 'p-1', quantity: 1, price: 10 }] });

async function metric(name: string): Promise<number> {
  const page = (await call<string>(stack.apiUrl, 'GET', '/metrics')).body;
  const line = page.split('\n').find((text) => text.startsWith(`${name} `));
  return Number(line?.split(' ')[1]);
}

async function logged(orderId: string): Promise<number[]> {
  const result = await stack.ch.client.query({
    query: `SELECT version FROM ${stack.ch.database}.order_events FINAL WHERE order_id = {orderId:String} ORDER BY version`,
    query_params: { orderId },
    format: 'JSONEachRow',
  });
  return (await result.json<{ version: number }>()).map((row) => Number(row.version));
}

it('records it, says so in metrics, readiness and the Web UI, and redelivers it in order once the cause is fixed', async () => {
  // Both answered: a refused append does not refuse the command, which Temporal holds.
  expect((await call(stack.apiUrl, 'POST', '/orders', { json: order(held) })).status).toBe(201);
  expect((await call(stack.apiUrl, 'POST', '/orders', { json: order(healthy) })).status).toBe(201);
  expect((await call(stack.apiUrl, 'POST', `/orders/${held}/status`, { json: { status: 'CONFIRMED' } })).status).toBe(200);
  expect(await logged(healthy)).toEqual([1]);

  // The workflow's delivery meets the refusal, records it and stops: no retry in silence.
  const readiness = await eventually(
    async () => {
      const reply = await call(stack.apiUrl, 'GET', '/readyz');
      return reply.body.detail ? reply : undefined;
    },
    20_000,
    'readiness to report the refusal',
  );
  expect(readiness.status).toBe(200);
  expect(readiness.body.status).toBe('ready');
  expect(readiness.body.detail.refusedEvents).toMatchObject({
    waiting: 1,
    oldest: [{ orderId: held, eventId: `${held}:1`, version: 1, reason: expect.stringMatching(/^VIOLATED_CONSTRAINT: .*not_this_order/) }],
    action: expect.stringContaining('POST /admin/events/redeliver'),
  });
  expect(await metric('orders_events_refused_total')).toBe(1);
  expect(await metric('orders_events_awaiting_redelivery')).toBe(1);
  const handle = temporal.workflow.getHandle(orderWorkflowId(held));
  const { currentDetails } = await handle.query<{ currentDetails?: string }>('__temporal_workflow_metadata');
  expect(currentDetails).toContain(`Event ${held}:1 refused by the event log:** VIOLATED_CONSTRAINT`);
  expect(currentDetails).toContain('POST /admin/events/redeliver');

  // Commands go on; their events wait behind the refused one, and the order does not finish.
  expect((await call(stack.apiUrl, 'POST', `/orders/${held}/cancel`, { json: { reason: 'held' } })).status).toBe(200);
  expect((await call(stack.apiUrl, 'GET', `/orders/${held}?consistency=strong`)).body).toMatchObject({ status: 'CANCELLED', version: 3 });
  expect(await logged(held)).toEqual([]);
  expect((await handle.describe()).status.name).toBe('RUNNING');

  await stack.ch.client.command({ query: `ALTER TABLE ${stack.ch.database}.order_events DROP CONSTRAINT not_this_order` });
  const redelivery = await call(stack.apiUrl, 'POST', '/admin/events/redeliver');
  expect(redelivery.status).toBe(202);
  expect(redelivery.body).toMatchObject({ asked: [{ orderId: held, eventId: `${held}:1` }], failed: [], remaining: 0 });
  await handle.result();
  expect(await logged(held)).toEqual([1, 2, 3]);
  expect((await call(stack.apiUrl, 'GET', `/orders/${held}`)).body).toMatchObject({ status: 'CANCELLED', version: 3 });
  expect(await metric('orders_events_awaiting_redelivery')).toBe(0);
  expect((await call(stack.apiUrl, 'GET', '/readyz')).body.detail).toBeUndefined();
}, 90_000);

it('answers a redelivery with nothing to redeliver', async () => {
  const reply = await call(stack.apiUrl, 'POST', '/admin/events/redeliver');
  expect(reply.status).toBe(202);
  expect(reply.body).toEqual({ asked: [], failed: [], remaining: 0 });
});

/** The events /readyz names as waiting for a redelivery, of one order. */
async function waitingOf(orderId: string): Promise<string[]> {
  const { detail } = (await call(stack.apiUrl, 'GET', '/readyz')).body;
  return (detail?.refusedEvents.oldest ?? [])
    .filter((event: { orderId: string }) => event.orderId === orderId)
    .map((event: { eventId: string }) => event.eventId);
}

describe('when a redelivery writes the held event and the log refuses a later one', () => {
  const partly = `partly-${Date.now()}`;
  const constraint = (name: string, check: string) =>
    stack.ch.client.command({ query: `ALTER TABLE ${stack.ch.database}.order_events ADD CONSTRAINT ${name} CHECK NOT (order_id = '${partly}' AND ${check})` });
  const drop = (name: string) => stack.ch.client.command({ query: `ALTER TABLE ${stack.ch.database}.order_events DROP CONSTRAINT ${name}` });

  it('reports only the later one as waiting, and the held one as redelivered', async () => {
    await constraint('refuses_its_creation', 'version = 1');
    await constraint('refuses_its_cancellation', "event_type = 'OrderCancelled'");
    expect((await call(stack.apiUrl, 'POST', '/orders', { json: order(partly) })).status).toBe(201);
    expect((await call(stack.apiUrl, 'POST', `/orders/${partly}/cancel`, { json: { reason: 'held' } })).status).toBe(200);
    await eventually(async () => ((await waitingOf(partly)).length > 0 ? true : undefined), 20_000, 'the creation to be refused');
    expect(await waitingOf(partly)).toEqual([`${partly}:1`]);

    // Only the first cause is fixed: the creation goes in, the cancellation is refused in its turn.
    await drop('refuses_its_creation');
    expect((await call(stack.apiUrl, 'POST', '/admin/events/redeliver')).status).toBe(202);
    await eventually(async () => ((await waitingOf(partly)).includes(`${partly}:2`) ? true : undefined), 20_000, 'the cancellation to be refused');
    expect(await logged(partly)).toEqual([1]);
    expect(await waitingOf(partly)).toEqual([`${partly}:2`]);
    expect(await metric('orders_events_awaiting_redelivery')).toBe(1);

    await drop('refuses_its_cancellation');
    expect((await call(stack.apiUrl, 'POST', '/admin/events/redeliver')).body).toMatchObject({ asked: [{ eventId: `${partly}:2` }], failed: [] });
    await temporal.workflow.getHandle(orderWorkflowId(partly)).result();
    expect(await logged(partly)).toEqual([1, 2]);
    expect(await metric('orders_events_awaiting_redelivery')).toBe(0);
    expect((await call(stack.apiUrl, 'GET', '/readyz')).body.detail).toBeUndefined();
  }, 90_000);
});
