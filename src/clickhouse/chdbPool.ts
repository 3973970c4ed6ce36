/**
 * chDB sessions behind the `Connection` that `@clickhouse/client` plugs in, each running one
 * statement at a time. chDB's own connection (`chdb/connection`) is not used: it keeps a session
 * after any failure and hands out only whole results, and a session that failed part-way still
 * holds that statement's output, which the session's next statement receives as its own answer.
 *
 * So here a session is never used again once a statement on it failed, timed out or was given up
 * by its caller: it is closed (chDB defers the close until the engine is done with it) and a fresh
 * one opened in its place. A statement given up while it runs is also stopped with `KILL QUERY`,
 * found by its session's tag (its `log_comment`, which the engine shows beside every statement it
 * runs), so that it does not keep the engine busy. Results of
 * statements without parameters are streamed block by block; chDB runs statements with parameters
 * one at a time across the whole process and hands them out whole.
 */
import { randomUUID } from 'node:crypto';
import { Readable } from 'node:stream';
import { ClickHouseError, parseError } from '@clickhouse/client';
import type { Connection } from 'chdb/connection';
import type { ChdbQueryStream, Session } from 'chdb';

type Params<K extends keyof Connection<Readable>> = Parameters<Connection<Readable>[K]>[0];

/** Opens a session ready for statements (its settings applied), with `tag` as its `log_comment`. */
export type OpenSession = (tag: string) => Promise<Session>;

/** Settings of ClickHouse's HTTP layer that `@clickhouse/client` may send and chDB does not know. */
const HTTP_ONLY_SETTINGS = new Set(['wait_end_of_query', 'send_progress_in_http_headers', 'http_headers_progress_interval_ms', 'enable_http_compression']);

const EMPTY_SUMMARY = {
  read_rows: '0',
  read_bytes: '0',
  written_rows: '0',
  written_bytes: '0',
  result_rows: '0',
  result_bytes: '0',
  total_rows_to_read: '0',
  elapsed_ns: '0',
};

/** ClickHouse's `Code: N. DB::Exception: … (TYPE)` as the client's ClickHouseError, like a server's answer. */
function asClickHouseError(error: unknown): Error {
  const original = error instanceof Error ? error : new Error(String(error));
  let mapped = parseError(original);
  if (mapped === original) mapped = withCodeOnly(original) ?? original;
  if (mapped !== error) (mapped as Error & { cause?: unknown }).cause = error;
  return mapped;
}

/**
 * chDB hands the engine's message over as C text, so a message that quotes a NUL (a `throwIf`
 * message, a value) ends there, before the `(TYPE)` the client reads: it is still the engine's
 * error, with the code it opens with.
 */
function withCodeOnly(error: Error): ClickHouseError | undefined {
  const match = /^Code: (\d+)\. (?:DB::Exception: )?([\s\S]*)$/.exec(error.message);
  return match ? new ClickHouseError({ code: match[1], type: '', message: match[2] }) : undefined;
}

/**
 * A result stream that its reader may close early: `@clickhouse/client` closes a result by
 * destroying its stream with an error, which nobody else is listening for.
 */
function closable(stream: Readable): Readable {
  return stream.on('error', () => undefined);
}

function abortError(): Error {
  return Object.assign(new Error('the query was cancelled by its caller'), { name: 'AbortError' });
}

/** `work`, or an AbortError as soon as `signal` fires. */
function untilAborted<T>(work: Promise<T>, signal?: AbortSignal): Promise<T> {
  if (!signal) return work;
  return new Promise((resolve, reject) => {
    const onAbort = () => reject(abortError());
    signal.addEventListener('abort', onAbort, { once: true });
    work.then(resolve, reject).finally(() => signal.removeEventListener('abort', onAbort));
  });
}

export class ChdbPool implements Connection<Readable> {
  private readonly idle: Session[] = [];
  /** Each session's tag: a session runs one statement at a time, so its tag finds the statement it runs. */
  private readonly tags = new WeakMap<Session, string>();
  private readonly waiting: Array<{ resolve: (session: Session) => void; reject: (error: Error) => void }> = [];
  private missing: number;
  private closed = false;

  /** Up to `size` sessions from `openSession`, opened as they are first needed; `control` (not the pool's to close) only stops statements. */
  constructor(
    size: number,
    private readonly openSession: OpenSession,
    /** A session of its own for `KILL QUERY`, so that stopping a statement never waits for a free one. */
    private readonly control: Session,
  ) {
    if (size < 1) throw new Error('a pool needs at least one session');
    this.missing = size;
  }

  private async acquire(): Promise<Session> {
    if (this.closed) throw new Error('the ClickHouse connection is closed');
    const session = this.idle.pop();
    if (session) return session;
    if (this.missing > 0) {
      this.missing -= 1;
      try {
        return await this.open();
      } catch (error) {
        this.missing += 1;
        throw error;
      }
    }
    return new Promise((resolve, reject) => this.waiting.push({ resolve, reject }));
  }

  /** Hands a session that finished cleanly to the next caller. */
  private release(session: Session): void {
    if (this.closed) return session.close();
    const next = this.waiting.shift();
    if (next) next.resolve(session);
    else this.idle.push(session);
  }

  /** Closes a session whose statement failed or was given up, and opens a fresh one in its place. */
  private retire(session: Session): void {
    session.close();
    if (this.closed) return;
    this.open().then(
      (fresh) => this.release(fresh),
      () => {
        this.missing += 1;
        // Whoever waits tries to open one itself, and so hears why it cannot.
        const next = this.waiting.shift();
        if (next) this.acquire().then(next.resolve, next.reject);
      },
    );
  }

  /** Runs `work` on a session of its own; a session whose statement failed is retired. */
  private async withSession<T>(work: (session: Session) => Promise<T>): Promise<T> {
    const session = await this.acquire();
    try {
      const result = await work(session);
      this.release(session);
      return result;
    } catch (error) {
      this.retire(session);
      throw error;
    }
  }

  private async open(): Promise<Session> {
    const tag = randomUUID();
    const session = await this.openSession(tag);
    this.tags.set(session, tag);
    return session;
  }

  /**
   * Stops the statement `session` runs; best effort. The tag is written into the statement, not
   * bound: chDB runs bound statements one at a time across the process, so a bound KILL would wait
   * for the very statement it is to stop. The tag is a UUID of the pool's own making.
   */
  private kill(session: Session): void {
    this.control.queryAsync(`KILL QUERY WHERE Settings['log_comment'] = '${this.tags.get(session)}' ASYNC`, { format: 'TSV' }).catch(() => undefined);
  }

  private static sql(params: Params<'query'>): string {
    const settings = Object.entries(params.clickhouse_settings ?? {}).filter(([name, value]) => value !== undefined && !HTTP_ONLY_SETTINGS.has(name));
    if (settings.length > 0) {
      // A SET on a chDB session outlives the statement; settings belong to the session's opening.
      throw new Error(`per-statement settings are not supported on an embedded session: ${settings.map(([name]) => name).join(', ')}`);
    }
    return params.query;
  }

  private static hasParams(params: Params<'query'>): params is Params<'query'> & { query_params: Record<string, unknown> } {
    return params.query_params !== undefined && Object.keys(params.query_params).length > 0;
  }

  /** A whole result, as `queryAsync`/`queryBindAsync` give it; the statement is killed if its caller gives up. */
  private async whole(session: Session, params: Params<'query'>): Promise<Buffer> {
    const sql = ChdbPool.sql(params);
    const options = { format: 'TSV', signal: params.abort_signal };
    try {
      const result = ChdbPool.hasParams(params) ? await session.queryBindAsync(sql, params.query_params, options) : await session.queryAsync(sql, options);
      return Buffer.from(result.bytes());
    } catch (error) {
      if (params.abort_signal?.aborted) {
        this.kill(session);
        throw abortError();
      }
      throw asClickHouseError(error);
    }
  }

  async query(params: Params<'query'>) {
    const query_id = params.query_id ?? randomUUID();
    // chDB streams only SELECT (and WITH … SELECT); EXPLAIN, SHOW and the like come whole.
    if (ChdbPool.hasParams(params) || !/^[\s(]*(SELECT|WITH)\b/i.test(params.query)) {
      const bytes = await this.withSession((session) => this.whole(session, params));
      return { stream: closable(Readable.from([bytes])), query_id, response_headers: {}, http_status_code: 200 };
    }
    const stream = await this.streamed(await this.acquire(), params);
    return { stream, query_id, response_headers: {}, http_status_code: 200 };
  }

  /**
   * A result block by block. The first block is read before this returns, so that a statement
   * ClickHouse refuses fails here, as it would over HTTP. The session goes back once the stream
   * has ended cleanly; a statement that fails, is aborted or whose stream is closed early retires
   * its session and is killed.
   */
  private async streamed(session: Session, params: Params<'query'>): Promise<Readable> {
    const signal = params.abort_signal;
    let chunks: ChdbQueryStream | undefined;
    let settled = false;
    const settle = (clean: boolean) => {
      if (settled) return;
      settled = true;
      signal?.removeEventListener('abort', giveUp);
      signal?.removeEventListener('abort', onAbort);
      if (clean) return this.release(session);
      chunks?.cancel();
      this.kill(session);
      this.retire(session);
    };
    const giveUp = () => settle(false);
    signal?.addEventListener('abort', giveUp, { once: true });
    const next = async (): Promise<Buffer | null> => {
      try {
        const step = await iterator.next();
        return step.done ? null : Buffer.from(step.value.raw());
      } catch (error) {
        throw asClickHouseError(error);
      }
    };
    let iterator: AsyncIterator<{ raw(): Uint8Array }>;
    let first: Buffer | null;
    try {
      if (signal?.aborted) throw abortError();
      chunks = session.queryStream(ChdbPool.sql(params), { format: 'TSV' });
      iterator = chunks[Symbol.asyncIterator]();
      first = await untilAborted(next(), signal);
    } catch (error) {
      settle(false);
      throw error instanceof Error && error.name === 'AbortError' ? error : asClickHouseError(error);
    }
    signal?.removeEventListener('abort', giveUp);
    const readable = new Readable({
      read() {
        next().then(
          (chunk) => {
            if (chunk === null) settle(true);
            this.push(chunk);
          },
          (error: Error) => this.destroy(error),
        );
      },
      destroy(error, callback) {
        settle(false);
        callback(error);
      },
    });
    function onAbort() {
      readable.destroy(abortError());
    }
    if (first === null) settle(true);
    else if (signal?.aborted) onAbort();
    else signal?.addEventListener('abort', onAbort, { once: true });
    readable.push(first);
    return closable(readable);
  }

  async exec(params: Params<'exec'>) {
    if (params.values === undefined) return { ...(await this.query(params)), summary: EMPTY_SUMMARY };
    const query_id = params.query_id ?? randomUUID();
    const body = await text(params.values);
    const query = body.trim() === '' ? params.query : `${params.query}\n${body}`;
    const bytes = await this.withSession((session) => this.whole(session, { ...params, query }));
    return { stream: closable(Readable.from([bytes])), query_id, response_headers: {}, http_status_code: 200, summary: EMPTY_SUMMARY };
  }

  async command(params: Params<'command'>) {
    const query_id = params.query_id ?? randomUUID();
    await this.withSession((session) => this.whole(session, params));
    return { query_id, response_headers: {}, http_status_code: 200, summary: EMPTY_SUMMARY };
  }

  async insert(params: Params<'insert'>) {
    const query_id = params.query_id ?? randomUUID();
    const body = await text(params.values);
    if (body.trim() !== '') {
      await this.withSession((session) => this.whole(session, { ...params, query: `${params.query}\n${body}` }));
    }
    return { query_id, response_headers: {}, http_status_code: 200, summary: EMPTY_SUMMARY };
  }

  async ping() {
    try {
      await this.withSession((session) => session.queryAsync('SELECT 1', { format: 'TSV' }));
      return { success: true as const };
    } catch (error) {
      return { success: false as const, error: asClickHouseError(error) };
    }
  }

  async close(): Promise<void> {
    this.closed = true;
    for (const waiter of this.waiting.splice(0)) waiter.reject(new Error('the ClickHouse connection is closed'));
    for (const session of this.idle.splice(0)) session.close();
  }
}

async function text(values: string | Readable): Promise<string> {
  if (typeof values === 'string') return values;
  let body = '';
  for await (const chunk of values) body += typeof chunk === 'string' ? chunk : Buffer.from(chunk as Uint8Array).toString('utf8');
  return body;
}
