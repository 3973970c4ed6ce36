/**
 * Orders that are running when new workflow code is deployed keep running on it: their histories
 * must replay against the code without a nondeterminism error. The fixtures are histories of
 * orders run by this workflow code, one per way an order goes, recorded by
 * test/support/recordHistories.ts (how and when to record them again, and what to do when a change
 * cannot replay them: docs/decisions/0031-versioning-the-order-workflow.md):
 * - receipted-lifecycle: create, confirm, ship, deliver in quick succession, each command carrying
 *   the receipt for the one before, the last receipt alone (an Update); one upsert, in the closing task;
 * - settled-then-cancelled: a create left alone past the delivery delay (the workflow delivers it),
 *   then a confirm and a cancel in quick succession;
 * - signalled: every command a signal (one refused), each delivered by the workflow at once;
 * - refused-then-redelivered: the event log refuses the order's events; they are held, a cancel is
 *   taken meanwhile, and a redelivery delivers all three;
 * - continued-as-new: the first run of an order whose refused signals grew its history until the
 *   server suggested continue-as-new;
 * - payment-window-kept: an order with a payment window confirmed within it (its timer cancelled
 *   with the confirm), then cancelled by its customer;
 * - payment-window-expired: an order with a payment window left PENDING, cancelled by its own
 *   workflow when the window closed.
 * The order in which a workflow task's commands are issued is part of what a replay checks.
 * (protobufjs is a devDependency so that npm installs one copy for every @temporalio package: with
 * a copy each, reading a JSON history fails with "type must be a Type".)
 */
import fs from 'node:fs';
import path from 'node:path';
import { Worker } from '@temporalio/worker';
import { eventsAppendedUpdate } from '../../workflows/messages';
import { workflowBundle } from '../support/stack';

const FIXTURES = path.join(__dirname, '..', 'fixtures', 'histories');

interface RecordedWay {
  /** How the recorded run closed. */
  closes: 'EVENT_TYPE_WORKFLOW_EXECUTION_COMPLETED' | 'EVENT_TYPE_WORKFLOW_EXECUTION_CONTINUED_AS_NEW';
  /** Commands taken as Updates (the rest came as signals). */
  updates: number;
  /** Receipts that came alone, each an Update of its own (the rest rode on commands, or none came). */
  receiptsAlone: number;
  /**
   * Whether the workflow delivered events itself: through the local activity (events earlier
   * workflow tasks recorded), through the regular one (events the delivering task decided, or a
   * local delivery that failed).
   */
  delivers: { locally: boolean; regularly: boolean };
}

/** Each way an order goes, by the name of its recording, and what its history must show to be that way. */
const RECORDED: Record<string, RecordedWay> = {
  'continued-as-new': { closes: 'EVENT_TYPE_WORKFLOW_EXECUTION_CONTINUED_AS_NEW', updates: 2, receiptsAlone: 0, delivers: { locally: true, regularly: false } },
  'payment-window-expired': { closes: 'EVENT_TYPE_WORKFLOW_EXECUTION_COMPLETED', updates: 1, receiptsAlone: 0, delivers: { locally: false, regularly: true } },
  'payment-window-kept': { closes: 'EVENT_TYPE_WORKFLOW_EXECUTION_COMPLETED', updates: 3, receiptsAlone: 1, delivers: { locally: false, regularly: false } },
  'receipted-lifecycle': { closes: 'EVENT_TYPE_WORKFLOW_EXECUTION_COMPLETED', updates: 4, receiptsAlone: 1, delivers: { locally: false, regularly: false } },
  'refused-then-redelivered': {
    closes: 'EVENT_TYPE_WORKFLOW_EXECUTION_COMPLETED',
    updates: 3,
    receiptsAlone: 0,
    delivers: { locally: true, regularly: false },
  },
  'settled-then-cancelled': { closes: 'EVENT_TYPE_WORKFLOW_EXECUTION_COMPLETED', updates: 3, receiptsAlone: 1, delivers: { locally: true, regularly: false } },
  signalled: { closes: 'EVENT_TYPE_WORKFLOW_EXECUTION_COMPLETED', updates: 0, receiptsAlone: 0, delivers: { locally: true, regularly: true } },
};

interface RecordedEvent {
  eventType: string;
  markerRecordedEventAttributes?: { markerName?: string };
  workflowExecutionUpdateAcceptedEventAttributes?: { acceptedRequest?: { input?: { name?: string } } };
}

const history = (name: string): { events: RecordedEvent[] } => JSON.parse(fs.readFileSync(path.join(FIXTURES, `${name}.json`), 'utf8'));

it('holds a recording of each named way an order goes, and none unnamed', () => {
  const recorded = fs
    .readdirSync(FIXTURES)
    .filter((name) => name.endsWith('.json'))
    .map((name) => name.slice(0, -'.json'.length));
  expect(recorded.sort()).toEqual(Object.keys(RECORDED).sort());
});

it.each(Object.entries(RECORDED))('%s is a recording of that way: how it closes, its Updates, its deliveries', (name, way) => {
  const { events } = history(name);
  const types = events.map((event) => event.eventType);
  const updates = events.flatMap((event) => event.workflowExecutionUpdateAcceptedEventAttributes?.acceptedRequest?.input?.name ?? []);
  expect({
    closes: types.at(-1),
    updates: updates.filter((update) => update !== eventsAppendedUpdate.name).length,
    receiptsAlone: updates.filter((update) => update === eventsAppendedUpdate.name).length,
    delivers: {
      locally: events.some((event) => event.markerRecordedEventAttributes?.markerName === 'core_local_activity'),
      regularly: types.includes('EVENT_TYPE_ACTIVITY_TASK_SCHEDULED'),
    },
  }).toEqual(way);
});

it.each(Object.keys(RECORDED))('%s replays on the current workflow code', async (name) => {
  await expect(Worker.runReplayHistory({ workflowBundle: await workflowBundle() }, history(name), `order-replay-${name}`)).resolves.toBeUndefined();
});
