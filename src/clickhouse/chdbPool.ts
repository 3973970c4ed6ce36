/**
 * chDB runs one statement at a time per connection, so a single connection would make every read
 * wait behind the event log's inserts. Several connections on the same data directory run in
 * parallel; this pool hands each call to the connection with the fewest calls in flight.
 */
import type { Connection } from 'chdb/connection';
import type { Readable } from 'node:stream';

export class PooledConnection implements Connection<Readable> {
  private readonly inFlight: number[];

  constructor(private readonly connections: Connection<Readable>[]) {
    if (connections.length === 0) throw new Error('a pool needs at least one connection');
    this.inFlight = connections.map(() => 0);
  }

  private async use<T>(call: (connection: Connection<Readable>) => Promise<T>): Promise<T> {
    let index = 0;
    for (let i = 1; i < this.connections.length; i += 1) if (this.inFlight[i] < this.inFlight[index]) index = i;
    this.inFlight[index] += 1;
    try {
      return await call(this.connections[index]);
    } finally {
      this.inFlight[index] -= 1;
    }
  }

  ping(params: Parameters<Connection<Readable>['ping']>[0]) {
    return this.use((connection) => connection.ping(params));
  }

  query(params: Parameters<Connection<Readable>['query']>[0]) {
    return this.use((connection) => connection.query(params));
  }

  insert(params: Parameters<Connection<Readable>['insert']>[0]) {
    return this.use((connection) => connection.insert(params));
  }

  command(params: Parameters<Connection<Readable>['command']>[0]) {
    return this.use((connection) => connection.command(params));
  }

  exec(params: Parameters<Connection<Readable>['exec']>[0]) {
    return this.use((connection) => connection.exec(params));
  }

  async close(): Promise<void> {
    await Promise.all(this.connections.map((connection) => connection.close()));
  }
}
