/**
 * Orders started by an earlier release keep running on the new one: their histories must replay
 * against today's workflow code without a nondeterminism error. The fixtures are histories the
 * workflow of commit 62d1db9 (before append receipts, when every order waited out DELIVERY_DELAY
 * and ran its delivery activity) wrote on the dev server, saved with `temporal workflow show -o json`:
 * - appended-lifecycle: create, confirm, ship, deliver, each appended by the API; the delayed
 *   delivery found every event in the log and the order finished.
 * - delivered-cancelled: create and confirm with nothing appended by the API, delivered by the
 *   workflow; then a cancel after that delivery, delivered the same way.
 * (protobufjs is a devDependency so that npm installs one copy for every @temporalio package: with
 * a copy each, reading a JSON history fails with "type must be a Type".)
 */
import fs from 'node:fs';
import path from 'node:path';
import { Worker } from '@temporalio/worker';
import { workflowBundle } from '../support/stack';

const FIXTURES = path.join(__dirname, '..', 'fixtures', 'histories-before-receipts');

describe('histories written before append receipts', () => {
  const names = fs.readdirSync(FIXTURES).filter((name) => name.endsWith('.json'));

  it('are all here', () => {
    expect(names.sort()).toEqual(['appended-lifecycle.json', 'delivered-cancelled.json']);
  });

  it.each(names)('%s replays on the current workflow code', async (name) => {
    const history: unknown = JSON.parse(fs.readFileSync(path.join(FIXTURES, name), 'utf8'));
    await expect(Worker.runReplayHistory({ workflowBundle: await workflowBundle() }, history, `order-replay-${name}`)).resolves.toBeUndefined();
  });
});
