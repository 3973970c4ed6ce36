/**
 * The group commit of the event log: events from concurrent callers share inserts, each caller
 * hears back only once the insert holding its events has succeeded (or failed), and an event the
 * log already holds, or that two callers offer, is written once.
 */
import { EventLogWriter, EventRow } from '../../src/clickhouse/eventLog';
import { EventRefusedError } from '../../src/clickhouse/refusal';
import { decide, evolve, RecordedEvent, recorded } from '../../src/domain/order';

function created(orderId: string): RecordedEvent[] {
  return decide(
    undefined,
    {
      type: 'CreateOrder',
      commandId: `c-${orderId}`,
      correlationId: 'r',
      orderId,
      customerId: 'cu',
      customerName: 'Ada',
      customerNameGiven: true,
      items: [{ productId: 'p', quantity: 2, unitPriceCents: 2999 }],
    },
    new Date('2026-01-01T00:00:00.000Z'),
  ).map((event) => recorded(event, evolve(undefined, event)));
}

/** An order's events through its status changes. */
function lifecycle(orderId: string, ...statuses: Array<'CONFIRMED' | 'SHIPPED'>): RecordedEvent[] {
  const events = created(orderId);
  let state = evolve(undefined, events[0].event);
  for (const [index, to] of statuses.entries()) {
    const [event] = decide(
      state,
      { type: 'ChangeOrderStatus', commandId: `s-${index}`, correlationId: 'r', orderId, status: to },
      new Date('2026-01-01T00:00:01Z'),
    );
    state = evolve(state, event);
    events.push(recorded(event, state));
  }
  return events;
}

/**
 * A stand-in for ClickHouse whose inserts finish only when the test says so; with `asksByHand`, its
 * lookups too (each answers as the log stood when it was asked).
 */
function controllableSink({ asksByHand = false } = {}) {
  const inserts: Array<{ rows: EventRow[]; finish: (error?: Error) => void }> = [];
  const logged = new Set<string>();
  const write = (rows: EventRow[]) =>
    new Promise<void>((resolve, reject) =>
      inserts.push({
        rows,
        finish: (error) => {
          if (error) return reject(error);
          for (const row of rows) logged.add(row.event_id);
          resolve();
        },
      }),
    );
  /** The events of each lookup, in the order they were asked about. */
  const asked: string[][] = [];
  const answers: Array<() => void> = [];
  const inLog = (rows: EventRow[]) => {
    asked.push(rows.map((row) => row.event_id));
    const present = new Set(rows.map((row) => row.event_id).filter((id) => logged.has(id)));
    return asksByHand ? new Promise<Set<string>>((resolve) => answers.push(() => resolve(present))) : Promise.resolve(present);
  };
  /** Answers the lookups asked so far. */
  const answerAsks = () => answers.splice(0).forEach((answer) => answer());
  return { inserts, asked, write, inLog, answerAsks };
}

const turn = () => new Promise((resolve) => setImmediate(resolve));

/** Lets the writer take a batch (after a turn of the event loop) and ask the log about it. */
const tick = async () => {
  await turn();
  await turn();
};

const settled = async (promise: Promise<unknown>) => {
  let state = 'pending';
  promise.then(
    () => (state = 'resolved'),
    () => (state = 'rejected'),
  );
  await new Promise((resolve) => setImmediate(resolve));
  return state;
};

describe('the event log writer', () => {
  it('gathers events that arrive during an insert into the next one', async () => {
    const sink = controllableSink();
    const writer = new EventLogWriter(sink.write, sink.inLog);
    const first = writer.append(created('a'));
    await tick();
    const waiting = ['b', 'c', 'd'].map((id) => writer.append(created(id)));
    await tick();
    expect(sink.inserts).toHaveLength(2);
    expect(sink.inserts[1].rows.map((row) => row.order_id)).toEqual(['b', 'c', 'd']);
    sink.inserts[0].finish();
    await first;
    expect(await settled(waiting[0])).toBe('pending');
    sink.inserts[1].finish();
    await Promise.all(waiting);
  });

  it('answers a caller only after its own insert, and fails only the callers of a failed insert', async () => {
    const sink = controllableSink();
    const writer = new EventLogWriter(sink.write, sink.inLog);
    const first = writer.append(created('a'));
    await tick();
    const second = writer.append(created('b'));
    sink.inserts[0].finish(new Error('ClickHouse is down'));
    await expect(first).rejects.toThrow('ClickHouse is down');
    expect(await settled(second)).toBe('pending');
    await tick();
    sink.inserts[1].finish();
    await expect(second).resolves.toBe(1);
  });

  it('keeps an insert under the row limit, never splitting one caller’s events', async () => {
    const sink = controllableSink();
    const writer = new EventLogWriter(sink.write, sink.inLog, { maxBatchRows: 2 });
    const all = ['a', 'b', 'c', 'd', 'e'].map((id) => writer.append(created(id)));
    for (let i = 0; i < 3; i += 1) {
      await tick();
      await tick();
      sink.inserts[i].finish();
    }
    await Promise.all(all);
    expect(sink.inserts.map((insert) => insert.rows.length)).toEqual([2, 2, 1]);
  });

  it('lets callers that come back together share an insert, the first not written alone', async () => {
    const sink = controllableSink();
    const writer = new EventLogWriter(sink.write, sink.inLog, { maxBatchRows: 2 });
    // A backlog: four callers offer at once, and each, once answered, comes back at once with its next events.
    const next: Record<string, string> = { a: 'e', b: 'f', c: 'g', d: 'h' };
    const all = Object.keys(next).map((id) => writer.append(created(id)).then(() => writer.append(created(next[id]))));
    // Each insert finishes as soon as it is made, until every caller has been answered.
    let finished = 0;
    for (let rounds = 0; sink.inserts.reduce((rows, insert) => rows + insert.rows.length, 0) < 8 && rounds < 20; rounds += 1) {
      await tick();
      for (const insert of sink.inserts.slice(finished)) insert.finish();
      finished = sink.inserts.length;
    }
    for (const insert of sink.inserts.slice(finished)) insert.finish();
    expect(await Promise.all(all)).toEqual([1, 1, 1, 1]);
    // Were the first offer taken alone, one caller would stay out of step for good: [a], [b c], [d e], [f g], [h].
    expect(sink.inserts.map((insert) => insert.rows.map((row) => row.order_id).join(' '))).toEqual(['a b', 'c d', 'e f', 'g h']);
  });

  it('writes every row in the log format: UTC time, exact decimal total, the payload as JSON', async () => {
    const rows: EventRow[] = [];
    const writer = new EventLogWriter(
      async (batch) => {
        rows.push(...batch);
      },
      async () => new Set<string>(),
    );
    await writer.append(created('a'));
    expect(rows[0]).toMatchObject({
      event_id: 'a:1',
      event_type: 'OrderCreated',
      occurred_at: '2026-01-01 00:00:00.000',
      total: '59.98',
      status: 'PENDING',
      previous_status: '',
      customer_id: 'cu',
      item_count: 1,
      created_at: '2026-01-01 00:00:00.000',
    });
    expect(JSON.parse(rows[0].payload)).toMatchObject({ total: 59.98, items: [{ productId: 'p', quantity: 2, price: 29.99 }] });
  });

  it('writes an event once: not again when the log holds it, not twice when two callers offer it together', async () => {
    const sink = controllableSink();
    const writer = new EventLogWriter(sink.write, sink.inLog);
    const first = writer.append(created('a'));
    await tick();
    sink.inserts[0].finish();
    await expect(first).resolves.toBe(1);

    // The workflow's late delivery of an event the API appended, alongside two offers of a new one.
    const again = writer.append(created('a'));
    const offers = [writer.append(created('b')), writer.append(created('b'))];
    await tick();
    await tick();
    expect(sink.inserts).toHaveLength(2);
    expect(sink.inserts[1].rows.map((row) => row.event_id)).toEqual(['b:1']);
    sink.inserts[1].finish();
    expect(await Promise.all([again, ...offers])).toEqual([0, 1, 0]);
  });

  /** Order a's creation offered and being written, and a's next event, not yet offered. */
  async function firstEventOfABeingWritten() {
    const sink = controllableSink();
    const writer = new EventLogWriter(sink.write, sink.inLog);
    const [create, confirm] = lifecycle('a', 'CONFIRMED');
    const first = writer.append([create]);
    await tick();
    return { sink, writer, first, confirm };
  }

  /** One order's events offered, and a second offer made while the first batch is being written. */
  async function secondOfferDuringFirstInsert(secondOrder: string) {
    const sink = controllableSink();
    const writer = new EventLogWriter(sink.write, sink.inLog);
    const first = writer.append(created('a'));
    await tick();
    const second = writer.append(created(secondOrder));
    await tick();
    return { sink, writer, first, second };
  }

  it('writes a batch of other orders beside the one being written, and takes a third only when one ends', async () => {
    const { sink, writer, first, second } = await secondOfferDuringFirstInsert('b');
    expect(sink.asked).toEqual([['a:1'], ['b:1']]);
    expect(sink.inserts.map((insert) => insert.rows.map((row) => row.event_id))).toEqual([['a:1'], ['b:1']]);
    const third = writer.append(created('c'));
    await tick();
    expect(sink.asked).toHaveLength(2);
    sink.inserts[1].finish();
    await expect(second).resolves.toBe(1);
    await tick();
    expect(sink.inserts.map((insert) => insert.rows.map((row) => row.event_id))).toEqual([['a:1'], ['b:1'], ['c:1']]);
    expect(await settled(first)).toBe('pending');
    sink.inserts[0].finish();
    sink.inserts[2].finish();
    await expect(Promise.all([first, third])).resolves.toEqual([1, 1]);
  });

  it('writes an order’s next events only once the insert holding its earlier ones has ended', async () => {
    const { sink, writer, first, confirm } = await firstEventOfABeingWritten();
    const second = writer.append([confirm]);
    await tick();
    expect(sink.asked).toEqual([['a:1'], ['a:2']]);
    expect(sink.inserts).toHaveLength(1);
    sink.inserts[0].finish();
    await expect(first).resolves.toBe(1);
    await tick();
    expect(sink.inserts.map((insert) => insert.rows.map((row) => row.event_id))).toEqual([['a:1'], ['a:2']]);
    sink.inserts[1].finish();
    await expect(second).resolves.toBe(1);
  });

  it('does not write an event again that the batch before was writing when it asked', async () => {
    // The second offer is the workflow's delivery of the same event, asked about before the first insert is done.
    const { sink, first, second } = await secondOfferDuringFirstInsert('a');
    expect(sink.asked).toEqual([['a:1'], ['a:1']]);
    sink.inserts[0].finish();
    await expect(first).resolves.toBe(1);
    await tick();
    expect(sink.inserts).toHaveLength(1);
    await expect(second).resolves.toBe(0);
  });

  it('does not write an event again that a write ending during its lookup wrote', async () => {
    const sink = controllableSink({ asksByHand: true });
    const writer = new EventLogWriter(sink.write, sink.inLog);
    const first = writer.append(created('a'));
    await tick();
    sink.answerAsks();
    await tick();
    expect(sink.inserts).toHaveLength(1);
    // The workflow's delivery of the same event: its lookup begins before the first insert ends, and answers after.
    const second = writer.append(created('a'));
    await tick();
    expect(sink.asked).toEqual([['a:1'], ['a:1']]);
    sink.inserts[0].finish();
    await expect(first).resolves.toBe(1);
    sink.answerAsks();
    await tick();
    expect(sink.inserts).toHaveLength(1);
    await expect(second).resolves.toBe(0);
  });

  it('holds a batch of several orders while any one of them is being written', async () => {
    const { sink, writer, first, confirm } = await firstEventOfABeingWritten();
    const others = [writer.append(created('x')), writer.append([confirm])];
    await tick();
    expect(sink.asked).toEqual([['a:1'], ['x:1', 'a:2']]);
    expect(sink.inserts).toHaveLength(1);
    sink.inserts[0].finish();
    await expect(first).resolves.toBe(1);
    await tick();
    expect(sink.inserts.map((insert) => insert.rows.map((row) => row.event_id))).toEqual([['a:1'], ['x:1', 'a:2']]);
    sink.inserts[1].finish();
    await expect(Promise.all(others)).resolves.toEqual([1, 1]);
  });

  it('writes an event that the batch before failed to write', async () => {
    const { sink, first, second } = await secondOfferDuringFirstInsert('a');
    sink.inserts[0].finish(new Error('ClickHouse is down'));
    await expect(first).rejects.toThrow('ClickHouse is down');
    await tick();
    expect(sink.inserts).toHaveLength(2);
    expect(sink.inserts[1].rows.map((row) => row.event_id)).toEqual(['a:1']);
    sink.inserts[1].finish();
    await expect(second).resolves.toBe(1);
  });

  it('gives up waiting for a slow log within the bound, and the events are still written', async () => {
    const sink = controllableSink();
    const writer = new EventLogWriter(sink.write, sink.inLog);
    const outcome = await writer.appendWithin(created('a'), 20);
    expect(outcome).toMatchObject({ outcome: 'deferred' });
    sink.inserts[0].finish();
    await writer.close();
    expect(await sink.inLog(sink.inserts[0].rows)).toEqual(new Set(['a:1']));
  });

  describe('with commands on their way', () => {
    beforeEach(() => jest.useFakeTimers({ now: new Date('2026-01-01T00:00:00Z'), doNotFake: ['setImmediate'] }));
    afterEach(() => jest.useRealTimers());

    /**
     * A writer that waits up to 250 ms for company, past its first insert (which never waits),
     * with `onTheirWay` commands announced.
     */
    async function afterFirstInsert(onTheirWay: number, millisIntoIt = 0) {
      const sink = controllableSink();
      const writer = new EventLogWriter(sink.write, sink.inLog, { minIntervalMs: 250 });
      const first = writer.append(created('a'));
      const offered = Array.from({ length: onTheirWay }, () => writer.announce());
      await tick();
      expect(sink.inserts).toHaveLength(1);
      jest.advanceTimersByTime(millisIntoIt);
      sink.inserts[0].finish();
      await first;
      return { sink, writer, offered };
    }

    it('holds an insert, within the interval, for the events of commands still awaiting their answer', async () => {
      const { sink, writer } = await afterFirstInsert(3, 40);
      // 40 ms after it started: the next waits for the rest of the 250 ms while commands are on their way.
      const later = ['b', 'c'].map((id) => writer.append(created(id)));
      await tick();
      jest.advanceTimersByTime(200);
      await tick();
      expect(sink.inserts).toHaveLength(1);
      jest.advanceTimersByTime(10);
      await tick();
      await tick();
      expect(sink.inserts).toHaveLength(2);
      expect(sink.inserts[1].rows.map((row) => row.order_id)).toEqual(['b', 'c']);
      sink.inserts[1].finish();
      expect(await Promise.all(later)).toEqual([1, 1]);
    });

    /** Events of 'b' held 50 ms into the interval, for one command still on its way. */
    async function heldForOneOnItsWay() {
      const { sink, writer, offered } = await afterFirstInsert(1);
      const b = writer.append(created('b'));
      await tick();
      jest.advanceTimersByTime(50);
      await tick();
      expect(sink.inserts).toHaveLength(1);
      return { sink, writer, b, offered: offered[0] };
    }

    it('stops waiting as soon as the last command on its way has offered its events', async () => {
      const { sink, writer, b, offered } = await heldForOneOnItsWay();
      // The one command on its way is answered and offers its events: nothing more to wait for.
      const c = writer.append(created('c'));
      offered();
      await tick();
      await tick();
      expect(sink.inserts).toHaveLength(2);
      expect(sink.inserts[1].rows.map((row) => row.order_id)).toEqual(['b', 'c']);
      sink.inserts[1].finish();
      expect(await Promise.all([b, c])).toEqual([1, 1]);
    });

    it('stops waiting when told the last command on its way was answered without events', async () => {
      const { sink, b, offered } = await heldForOneOnItsWay();
      // The command on its way is rejected: it will offer nothing.
      offered();
      await tick();
      await tick();
      expect(sink.inserts).toHaveLength(2);
      expect(sink.inserts[1].rows.map((row) => row.order_id)).toEqual(['b']);
      sink.inserts[1].finish();
      await expect(b).resolves.toBe(1);
    });

    it('never holds a lone command: with none on its way, back-to-back inserts start at once', async () => {
      const sink = controllableSink();
      const writer = new EventLogWriter(sink.write, sink.inLog, { minIntervalMs: 60_000 });
      for (const id of ['a', 'b', 'c']) {
        const appended = writer.append(created(id));
        await tick();
        sink.inserts.at(-1)!.finish();
        expect(await appended).toBe(1);
      }
      expect(sink.inserts).toHaveLength(3);
    });
  });

  describe('when the log refuses an event for good', () => {
    /** ClickHouse's answer to a row that breaks a table's CHECK constraint. */
    const violation = () => Object.assign(new Error('Constraint `no_poison` for table orders.order_events is violated'), { type: 'VIOLATED_CONSTRAINT' });
    /** A log that refuses every insert holding one of the named events, and keeps what it takes. */
    function refusingLog(...refused: string[]) {
      const inserts: string[][] = [];
      const kept: string[] = [];
      const write = async (rows: EventRow[]) => {
        inserts.push(rows.map((row) => row.event_id));
        if (rows.some((row) => refused.includes(row.event_id))) throw violation();
        kept.push(...rows.map((row) => row.event_id));
      };
      return { inserts, kept, writer: new EventLogWriter(write, async () => new Set<string>()) };
    }

    it("writes the other callers' events, and tells the one whose event it refused which and why", async () => {
      const { inserts, kept, writer } = refusingLog('c:1');
      const offers = ['a', 'b', 'c', 'd', 'e'].map((id) => writer.append(created(id)).then(String, (error: unknown) => error));
      const [a, b, c, d, e] = await Promise.all(offers);
      expect([a, b, d, e]).toEqual(['1', '1', '1', '1']);
      expect(c).toBeInstanceOf(EventRefusedError);
      expect(c).toMatchObject({ eventId: 'c:1', version: 1, reason: expect.stringMatching(/^VIOLATED_CONSTRAINT: Constraint `no_poison`/) });
      // Halved until the refused caller was alone: not one insert per caller.
      expect(inserts.length).toBeLessThan(8);
      expect(kept.sort()).toEqual(['a:1', 'b:1', 'd:1', 'e:1']);
    });

    it("writes a caller's events in order up to the refused one, and nothing of its order after it", async () => {
      const { kept, writer } = refusingLog('a:2');
      const refused = writer.append(lifecycle('a', 'CONFIRMED', 'SHIPPED')).catch((error: unknown) => error);
      const later = writer.append(lifecycle('a', 'CONFIRMED', 'SHIPPED')).catch((error: unknown) => error);
      await expect(refused).resolves.toMatchObject({ eventId: 'a:2' });
      // The same order offered again in the batch waits behind the refusal too.
      await expect(later).resolves.toMatchObject({ eventId: 'a:2' });
      expect(kept).toEqual(['a:1']);
    });

    it('fails every caller of an insert that failed for another reason, for them to retry', async () => {
      const writer = new EventLogWriter(
        async () => {
          throw Object.assign(new Error('Too many parts'), { type: 'TOO_MANY_PARTS' });
        },
        async () => new Set<string>(),
      );
      const offers = ['a', 'b'].map((id) => writer.append(created(id)).catch((error: unknown) => error));
      for (const failure of await Promise.all(offers)) {
        expect(failure).not.toBeInstanceOf(EventRefusedError);
        expect(failure).toMatchObject({ type: 'TOO_MANY_PARTS' });
      }
    });
  });

  it('finishes what it holds on close, then refuses new events', async () => {
    const sink = controllableSink();
    const writer = new EventLogWriter(sink.write, sink.inLog);
    const pending = writer.append(created('a'));
    const closing = writer.close();
    await expect(writer.append(created('b'))).rejects.toThrow('closed');
    await tick();
    sink.inserts[0].finish();
    await Promise.all([pending, closing]);
  });
});
