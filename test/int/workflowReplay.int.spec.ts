/**
 * Orders that are running when new workflow code is deployed keep running on it: their histories
 * must replay against the code without a nondeterminism error. The fixtures are histories of
 * orders run by this workflow code, one per way an order goes, recorded by
 * test/support/recordHistories.ts (how and when to record them again, and what to do when a change
 * cannot replay them: docs/decisions/0031-versioning-the-order-workflow.md):
 * - receipted-lifecycle: create, confirm, ship, deliver in quick succession, each command carrying
 *   the receipt for the one before, the last receipt a signal; one upsert, in the closing task;
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
import { workflowBundle } from '../support/stack';

const FIXTURES = path.join(__dirname, '..', 'fixtures', 'histories');
const RECORDED = [
  'continued-as-new.json',
  'payment-window-expired.json',
  'payment-window-kept.json',
  'receipted-lifecycle.json',
  'refused-then-redelivered.json',
  'settled-then-cancelled.json',
  'signalled.json',
];

it('has a recorded history of every way an order goes', () => {
  expect(
    fs
      .readdirSync(FIXTURES)
      .filter((name) => name.endsWith('.json'))
      .sort(),
  ).toEqual(RECORDED);
});

it.each(RECORDED)('%s replays on the current workflow code', async (name) => {
  const history: unknown = JSON.parse(fs.readFileSync(path.join(FIXTURES, name), 'utf8'));
  await expect(Worker.runReplayHistory({ workflowBundle: await workflowBundle() }, history, `order-replay-${name}`)).resolves.toBeUndefined();
});
