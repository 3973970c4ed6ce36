/**
 * The batches the event log writer is writing at once (see `EventLogWriter` in ./eventLog): which
 * orders each holds, so that no two writes hold one order, and what each wrote once it has ended,
 * for the lookups that began before it ended.
 */

export interface Write {
  /** The orders whose events the batch holds. */
  orders: Set<string>;
  /** Settles with the ids the batch wrote, none if it failed. */
  done: Promise<Set<string>>;
}

export class WritesInFlight {
  private readonly writes = new Set<Write>();

  get count(): number {
    return this.writes.size;
  }

  add(orders: Set<string>, done: Promise<Set<string>>): void {
    const write = { orders, done };
    this.writes.add(write);
    // Registered before anyone waits on `done`, so a write has left the set when they resume.
    const leave = () => this.writes.delete(write);
    void done.then(leave, leave);
  }

  /** Until one of them ends. */
  oneEnds(): Promise<unknown> {
    if (this.writes.size === 0) throw new Error('no write is in flight to wait for');
    return Promise.race([...this.writes].map((write) => write.done.catch(() => undefined)));
  }

  holdsAnyOf(orders: Set<string>): boolean {
    return [...this.writes].some((write) => [...orders].some((order) => write.orders.has(order)));
  }

  /** The writes in flight now. */
  current(): Write[] {
    return [...this.writes];
  }

  /** The ids written by those of `writes` that have ended; the others are left out. */
  async writtenByEnded(writes: Write[]): Promise<Set<string>> {
    const written = new Set<string>();
    for (const write of writes) {
      if (this.writes.has(write)) continue;
      for (const id of await write.done.catch(() => new Set<string>())) written.add(id);
    }
    return written;
  }
}
