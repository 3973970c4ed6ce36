/**
 * ClickHouse refuses every write for a while under a steady stream of commands: commands are still
 * acknowledged (the workflow holds their events), the append activities retry with backoff, and
 * once writes work again the read models catch up with nothing lost or doubled.
 */
import { CommandLoad, checkInvariants, expectNothingLostOrDoubled, logQueryThrough } from '../support/load';
import { refuseWritesWhile } from '../support/faults';
import { expectedTemporalWarnings } from '../support/quietTemporal';
import { startTestStack, TestStack } from '../support/stack';

const SOAK = process.env.SOAK === '1';
const OUTAGES = SOAK ? 5 : 1;
const OUTAGE_MS = SOAK ? 20_000 : 8_000;
const LANES = 8;

let stack: TestStack;
let writesFail = false;
let refusedWrites = 0;

beforeAll(async () => {
  expectedTemporalWarnings.pattern = /injected fault/;
  stack = await startTestStack({
    seams: {
      clickhouse: refuseWritesWhile(() => {
        if (writesFail) refusedWrites += 1;
        return writesFail;
      }),
    },
  });
});

afterAll(async () => {
  await stack?.stop();
});

it(
  'keeps acknowledging commands while ClickHouse refuses writes, and catches up after, losing and doubling nothing',
  async () => {
    const load = new CommandLoad(() => stack.apiUrl, { lanes: LANES }).start();
    try {
      await load.progress(20);
      for (let outage = 0; outage < OUTAGES; outage += 1) {
        writesFail = true;
        const acknowledgedBefore = load.figures.acknowledged;
        await new Promise((resolve) => setTimeout(resolve, OUTAGE_MS));
        // Commands go on being accepted while the log cannot be written. Each answer then waits out
        // the workflow's bound on the append (2 s), so a lane gets about one answer per 2 s: over
        // the outage that is several per lane, and at least one per lane is the promise.
        expect(load.figures.acknowledged - acknowledgedBefore).toBeGreaterThanOrEqual(LANES);
        writesFail = false;
        await load.progress(20);
      }
    } finally {
      writesFail = false;
      await load.stop();
    }
    expect(refusedWrites).toBeGreaterThan(0);

    const report = await checkInvariants(stack.apiUrl, load.ledger, logQueryThrough(stack.ch.client), { database: stack.ch.database });
    expectNothingLostOrDoubled('ClickHouse write outage', load.figures, report, OUTAGES, `; ${refusedWrites} inserts refused`);
  },
  SOAK ? 900_000 : 180_000,
);
