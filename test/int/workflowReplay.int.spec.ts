/**
 * Orders started by an earlier release keep running on the new one: their histories must replay
 * against today's workflow code without a nondeterminism error. The fixtures are histories written
 * on the dev server and saved with `temporal workflow show -o json`.
 *
 * histories-before-receipts, by the workflow of commit 62d1db9 (every order waited out
 * DELIVERY_DELAY and ran its delivery activity):
 * - appended-lifecycle: create, confirm, ship, deliver, each appended by the API; the delayed
 *   delivery found every event in the log and the order finished.
 * - delivered-cancelled: create and confirm with nothing appended by the API, delivered by the
 *   workflow; then a cancel after that delivery, delivered the same way.
 *
 * histories-receipts-before-revisions, by the workflow of commit 8769152 (append receipts; orders
 * started without a revision, so each consults the CALLER_APPENDS patch and upserts its status
 * with every change):
 * - receipted-lifecycle: create, confirm, ship, deliver in quick succession, each command carrying
 *   the receipt for the one before, the last receipt a signal.
 * - delivered-then-receipted: a create left alone past DELIVERY_DELAY (the workflow delivers it),
 *   then a confirm and a cancel in quick succession.
 *
 * histories-revision-2, by the workflow of commit f973d22 (orders started with `revision: 2`:
 * append receipts, the status search attribute upserted once the order settles):
 * - receipted-lifecycle: create, confirm, ship, deliver in quick succession, each command carrying
 *   the receipt for the one before, the last receipt a signal; one upsert, in the closing task.
 * - settled-cancelled: a create left alone past DELIVERY_DELAY (the workflow delivers it), then a
 *   confirm and a cancel in quick succession.
 *
 * The order in which a workflow task's commands are issued is part of what a replay checks: taking
 * one `await` out of the workflow's loop (so that its timer started before the Update's answer)
 * fails receipted-lifecycle here. A change of that kind needs a new revision.
 * (protobufjs is a devDependency so that npm installs one copy for every @temporalio package: with
 * a copy each, reading a JSON history fails with "type must be a Type".)
 */
import fs from 'node:fs';
import path from 'node:path';
import { Worker } from '@temporalio/worker';
import { workflowBundle } from '../support/stack';

const FIXTURES = path.join(__dirname, '..', 'fixtures');

const ERAS: Array<[string, string[]]> = [
  ['histories-before-receipts', ['appended-lifecycle.json', 'delivered-cancelled.json']],
  ['histories-receipts-before-revisions', ['delivered-then-receipted.json', 'receipted-lifecycle.json']],
  ['histories-revision-2', ['receipted-lifecycle.json', 'settled-cancelled.json']],
];

describe.each(ERAS)('%s', (era, expected) => {
  const names = fs.readdirSync(path.join(FIXTURES, era)).filter((name) => name.endsWith('.json'));

  it('are all here', () => {
    expect(names.sort()).toEqual(expected);
  });

  it.each(expected)('%s replays on the current workflow code', async (name) => {
    const history: unknown = JSON.parse(fs.readFileSync(path.join(FIXTURES, era, name), 'utf8'));
    await expect(Worker.runReplayHistory({ workflowBundle: await workflowBundle() }, history, `order-replay-${name}`)).resolves.toBeUndefined();
  });
});
