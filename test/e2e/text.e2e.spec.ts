/**
 * Nothing the API accepts is refused later on its way to the read models: awkward but valid text
 * (emoji and their joiners, combining marks, right-to-left text and marks, quotes, backslashes,
 * line separators, characters outside the BMP, noncharacters) goes through a create, an
 * asynchronous create (delivered by the workflow, not appended by the API) and a cancellation,
 * and comes back unchanged from the read models, the event log and the Temporal Web UI's summary
 * and details of the order.
 */
import { Client, Connection } from '@temporalio/client';
import { orderWorkflowId } from '../../workflows/messages';
import { call } from '../support/http';
import { eventually, startTestStack, TestStack } from '../support/stack';

const NAME =
  'Zoë e\u0301 \u05e9\u05dc\u05d5\u05dd \u200f\u0645\u0631\u062d\u0628\u0627 "quoted" \'single\' \\back\\slash\\n 👨\u200d👩\u200d👧 \u{20b0e}\u2028{id:String}\uffff';
const PRODUCT = 'Stift \u2014 \u00abm\u00fcde\u00bb \u{1f58a}\ufe0f \\"';
const REASON = "changed \u202emind\u202c; '); DROP TABLE orders.order_events; -- \u{1f937}";

let stack: TestStack;
let connection: Connection;
let client: Client;

beforeAll(async () => {
  stack = await startTestStack();
  connection = await Connection.connect({ address: stack.temporalAddress });
  client = new Client({ connection });
});

afterAll(async () => {
  await connection?.close();
  await stack?.stop();
});

const body = (orderId: string) => ({
  orderId,
  customerId: 'text-customer',
  customerName: NAME,
  items: [{ productId: 'p-1', productName: PRODUCT, quantity: 1, price: 2.5 }],
});

/** The payloads of an order's events, in version order, as the event log holds them. */
async function loggedPayloads(orderId: string): Promise<Array<Record<string, any>>> {
  const result = await stack.ch.client.query({
    query: `SELECT payload FROM ${stack.ch.database}.order_events FINAL WHERE order_id = {orderId:String} ORDER BY version`,
    query_params: { orderId },
    format: 'JSONEachRow',
  });
  return (await result.json<{ payload: string }>()).map((row) => JSON.parse(row.payload));
}

describe('awkward but valid text', () => {
  it('comes back unchanged from the command, the read models and the event log', async () => {
    const created = await call(stack.apiUrl, 'POST', '/orders', { json: body('text-sync') });
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({ customerName: NAME, items: [{ productName: PRODUCT }] });
    const cancelled = await call(stack.apiUrl, 'POST', '/orders/text-sync/cancel', { json: { reason: REASON } });
    expect(cancelled.status).toBe(200);

    const read = await call(stack.apiUrl, 'GET', '/orders/text-sync?minVersion=2');
    expect(read.headers.get('x-read-model-version-reached')).toBe('true');
    expect(read.body).toMatchObject({ customerName: NAME, status: 'CANCELLED', version: 2 });
    const listed = await call(stack.apiUrl, 'GET', '/customers/text-customer/orders');
    expect(listed.body.orders.find((order: { orderId: string }) => order.orderId === 'text-sync')).toMatchObject({ customerName: NAME });
    expect(await loggedPayloads('text-sync')).toMatchObject([{ customerName: NAME, items: [{ productName: PRODUCT }] }, { reason: REASON }]);
  });

  it('reaches the read models when the workflow delivers it itself (an asynchronous create)', async () => {
    const accepted = await call(stack.apiUrl, 'POST', '/orders', { json: body('text-async'), headers: { prefer: 'respond-async' } });
    expect(accepted.status).toBe(202);
    const read = await eventually(
      async () => {
        const reply = await call(stack.apiUrl, 'GET', '/orders/text-async');
        return reply.status === 200 ? reply : undefined;
      },
      30_000,
      'the delivered order in the read model',
    );
    expect(read.body).toMatchObject({ customerName: NAME, version: 1 });
    expect(await loggedPayloads('text-async')).toMatchObject([{ customerName: NAME, items: [{ productName: PRODUCT }] }]);
  });

  it("shows unchanged in the Temporal Web UI's summary and details of the order", async () => {
    const handle = client.workflow.getHandle(orderWorkflowId('text-sync'));
    const description = await handle.describe();
    expect(await description.staticSummary()).toBe(`Order text-sync for ${NAME}`);
    const metadata = await handle.query<{ currentDetails?: string }>('__temporal_workflow_metadata');
    expect(metadata.currentDetails).toContain(`Customer: ${NAME} (text-customer)`);
    expect(metadata.currentDetails).toContain(`1 × ${PRODUCT} at 2.50`);
    expect(metadata.currentDetails).toContain(`Cancelled: ${REASON}`);
  });
});
