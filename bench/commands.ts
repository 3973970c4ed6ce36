/**
 * Scenario (a) of the benchmark, shared by `npm run bench` (the embedded service) and
 * `npm run bench:cluster` (the service scaled out on a Temporal cluster): orders walked through
 * their commands over HTTP, the same shape of work on Temporal alone with a no-op workflow, and the
 * CPU each component spends meanwhile.
 */
import fs from 'node:fs';
import http from 'node:http';
import { randomUUID } from 'node:crypto';
import type { Client } from '@temporalio/client';
import { inTurns } from './inTurns';
import { distribution, Scenario } from './stats';
import { noopUpdate } from './noopWorkflow';

/** How often one command is sent again after a 503 before the run gives up. */
export const MAX_RETRIES_OF_503 = 5;

/**
 * How an order's commands follow each other in (a). Back to back: each answer is followed at once
 * by the order's next command, the rhythm in which the API's receipt for one command rides on the
 * next. A person's: the order's next command comes this long after the answer, past the workflow's
 * delivery delay (3 s), so that every command meets what an order pays after a quiet spell. In both,
 * `concurrency` commands are on their way at any time: in a person's rhythm each lane takes
 * whichever order is due, or starts a new one, so many orders are in flight at once.
 */
export const RHYTHMS = { 'back-to-back': 0, person: 4000 } as const;
export type Rhythm = keyof typeof RHYTHMS;

/** The admin key the service generated into its data directory (admin keys have no rate limit). */
let apiKey = '';
const auth = () => ({ authorization: `Bearer ${apiKey}` });

export function useApiKey(key: string): void {
  apiKey = key;
}

/**
 * One request with node:http on kept-alive sockets. Not fetch: in Node 20 fetch (undici) spends
 * about a millisecond more per request in this process than node:http, and on two cores that is
 * the load generator's cost, not the service's.
 */
const agent = new http.Agent({ keepAlive: true });

export function json<T>(
  base: string,
  method: string,
  route: string,
  body?: unknown,
  headers: Record<string, string> = {},
): Promise<{ status: number; body: T; at: number }> {
  const payload = body === undefined ? undefined : JSON.stringify(body);
  return new Promise((resolve, reject) => {
    const request = http.request(
      `${base}${route}`,
      {
        method,
        agent,
        headers:
          payload === undefined
            ? { ...headers, ...auth() }
            : { ...headers, 'content-type': 'application/json', 'content-length': Buffer.byteLength(payload), ...auth() },
        timeout: 600_000,
      },
      (response) => {
        const chunks: Buffer[] = [];
        response.on('data', (chunk: Buffer) => chunks.push(chunk));
        response.on('error', reject);
        response.on('end', () => {
          const text = Buffer.concat(chunks).toString('utf8');
          try {
            resolve({ status: response.statusCode ?? 0, body: (text ? JSON.parse(text) : undefined) as T, at: performance.now() });
          } catch (error) {
            reject(new Error(`${method} ${route} answered ${response.statusCode} with a body that is not JSON: ${text.slice(0, 200)}`, { cause: error }));
          }
        });
      },
    );
    request.on('timeout', () => request.destroy(new Error(`${method} ${route}: no answer within 600 s`)));
    request.on('error', reject);
    request.end(payload);
  });
}

/** CPU seconds (user + system) a process has used so far. */
export function cpuSecondsOf(pid: number): number {
  const fields = fs.readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
  const ticks = Number(fields[11]) + Number(fields[12]);
  return ticks / 100;
}

/** CPU seconds a process and its children have used so far: those still running and those it has reaped. */
export function processTreeCpuSeconds(pid: number): number {
  const fields = (statPid: number | string) => fs.readFileSync(`/proc/${statPid}/stat`, 'utf8').split(') ')[1].split(' ');
  const own = fields(pid);
  let ticks = Number(own[11]) + Number(own[12]) + Number(own[13]) + Number(own[14]);
  for (const entry of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const child = fields(entry);
      if (Number(child[1]) === pid) ticks += Number(child[11]) + Number(child[12]);
    } catch {
      // the process ended while we looked
    }
  }
  return ticks / 100;
}

/** What a component has used so far, in CPU seconds: a process's id, or a reader for more than one process. */
export type CpuSource = number | (() => number) | undefined;

/**
 * CPU used over a phase by each component named (0 for one that is not there) and by this process
 * (`bench`: the load generator and the baseline's worker).
 */
export async function cpuDuring<T>(components: Record<string, CpuSource>, phase: () => Promise<T>): Promise<{ result: T; cpu: Record<string, number> }> {
  const read = (): Record<string, number> => ({
    ...Object.fromEntries(
      Object.entries(components).map(([name, source]) => [name, source === undefined ? 0 : typeof source === 'number' ? cpuSecondsOf(source) : source()]),
    ),
    bench: (process.cpuUsage().user + process.cpuUsage().system) / 1e6,
  });
  const before = read();
  const result = await phase();
  const after = read();
  return { result, cpu: Object.fromEntries(Object.keys(after).map((name) => [name, after[name] - before[name]])) };
}

export const perCommand = (cpu: Record<string, number>, commands: number) =>
  Object.entries(cpu)
    .map(([name, seconds]) => `${name} ${((seconds * 1000) / commands).toFixed(1)}`)
    .join(', ');

export interface CommandRun {
  concurrency: number;
  commands: number;
  seconds: number;
  /** The commands and time its rate is taken over (see `driveOrders`). */
  window: Window;
  latencies: number[];
  lags: number[];
  lagTimeouts: number;
  /** Answers of 503 that were sent again (same Idempotency-Key). */
  retried: number;
}

export interface Window {
  commands: number;
  seconds: number;
}

/**
 * Runs `orders` orders of four steps each (create, confirm, ship, deliver), `concurrency` steps at
 * a time, each order's next step `spacingMs` after the answer to its last. A lane takes the order
 * due longest, else starts a new one, else waits for the next due. The window a rate is taken over:
 * back to back, the whole run; in a person's rhythm, from the first order due (before it, orders are
 * only being created, and a create costs the baseline far less than an update) until a lane first
 * finds no order due (from then on fewer than `concurrency` commands are on their way).
 */
async function driveOrders(
  concurrency: number,
  orders: number,
  spacingMs: number,
  step: (order: number, step: number) => Promise<void>,
): Promise<{ seconds: number; window: Window }> {
  const due: Array<{ order: number; step: number; at: number }> = [];
  let started = 0;
  let answered = 0;
  let opened: { answered: number; at: number } | undefined;
  let window: Window | undefined;
  const begin = performance.now();
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      for (;;) {
        const head = due[0];
        let job: { order: number; step: number };
        if (head && head.at <= performance.now()) {
          job = due.shift()!;
          opened ??= { answered, at: performance.now() };
        } else if (started < orders) job = { order: started++, step: 0 };
        else {
          if (opened) window ??= { commands: answered - opened.answered, seconds: (performance.now() - opened.at) / 1000 };
          if (!head) return;
          await new Promise((resolve) => setTimeout(resolve, head.at - performance.now()));
          continue;
        }
        await step(job.order, job.step);
        answered += 1;
        if (job.step < 3) due.push({ order: job.order, step: job.step + 1, at: performance.now() + spacingMs });
      }
    }),
  );
  const seconds = (performance.now() - begin) / 1000;
  // Back to back, or a run too small for any lane to find an order due while others still started.
  return { seconds, window: spacingMs > 0 && window?.commands ? window : { commands: answered, seconds } };
}

const STATUS_STEPS = ['CONFIRMED', 'SHIPPED', 'DELIVERED'] as const;

/** N orders, each create → confirm → ship → deliver over HTTP, `concurrency` commands at a time. */
export async function commandsOverHttp(
  api: string | (() => string),
  concurrency: number,
  orders: number,
  lagSampleEvery: number,
  spacingMs = 0,
): Promise<CommandRun> {
  // A function spreads the requests over several APIs, as a load balancer does.
  const base = typeof api === 'string' ? () => api : api;
  const run = randomUUID().slice(0, 6);
  const latencies: number[] = [];
  const lags: number[] = [];
  const lagWatches: Promise<void>[] = [];
  let lagTimeouts = 0;
  let retried = 0;
  let sent = 0;
  const follow = (orderId: string, version: number, ackAt: number) =>
    (async () => {
      const deadline = ackAt + 10_000;
      while (performance.now() < deadline) {
        const reply = await json<{ version?: number }>(base(), 'GET', `/orders/${orderId}`);
        if ((reply.body?.version ?? 0) >= version) return void lags.push(reply.at - ackAt);
        await new Promise((resolve) => setTimeout(resolve, 10));
      }
      lagTimeouts += 1;
    })().catch(() => {
      // The service went away; the commands' own failure reports it.
      lagTimeouts += 1;
    });
  const command = async (route: string, body: unknown, orderId: string) => {
    const started = performance.now();
    // As the API asks of its clients: a 503 is retried with the same Idempotency-Key, and the
    // command's latency runs until its definite answer.
    const headers = { 'idempotency-key': randomUUID() };
    const send = () => json<{ version: number }>(base(), 'POST', route, body, headers);
    let reply = await send();
    for (let attempt = 1; reply.status === 503 && attempt <= MAX_RETRIES_OF_503; attempt += 1) {
      retried += 1;
      await new Promise((resolve) => setTimeout(resolve, 200));
      reply = await send();
    }
    if (reply.status >= 300) throw new Error(`${route}: ${reply.status} ${JSON.stringify(reply.body)}`);
    latencies.push(reply.at - started);
    sent += 1;
    if (sent % lagSampleEvery === 0) lagWatches.push(follow(orderId, reply.body.version, reply.at));
  };
  const { seconds, window } = await driveOrders(concurrency, orders, spacingMs, (index, step) => {
    const orderId = `bench-${run}-${index}`;
    if (step === 0) {
      return command('/orders', { orderId, customerId: `bench-customer-${index % 97}`, items: [{ productId: 'p-1', quantity: 2, price: 19.99 }] }, orderId);
    }
    return command(`/orders/${orderId}/status`, { status: STATUS_STEPS[step - 1] }, orderId);
  });
  await Promise.all(lagWatches);
  return { concurrency, commands: sent, seconds, window, latencies, lags, lagTimeouts, retried };
}

/** Rounds of one side taken as one run: their commands over their time. */
export function combined(runs: CommandRun[]): CommandRun {
  return {
    concurrency: runs[0].concurrency,
    commands: runs.reduce((sum, run) => sum + run.commands, 0),
    seconds: runs.reduce((sum, run) => sum + run.seconds, 0),
    window: {
      commands: runs.reduce((sum, run) => sum + run.window.commands, 0),
      seconds: runs.reduce((sum, run) => sum + run.window.seconds, 0),
    },
    latencies: runs.flatMap((run) => run.latencies),
    lags: runs.flatMap((run) => run.lags),
    lagTimeouts: runs.reduce((sum, run) => sum + run.lagTimeouts, 0),
    retried: runs.reduce((sum, run) => sum + run.retried, 0),
  };
}

/** Commands per second of a run, over its window. */
export function rate(run: CommandRun): number {
  return run.window.commands / run.window.seconds;
}

export function summed(cpus: Record<string, number>[]): Record<string, number> {
  const total: Record<string, number> = {};
  for (const cpu of cpus) for (const [name, seconds] of Object.entries(cpu)) total[name] = (total[name] ?? 0) + seconds;
  return total;
}

/** The same shape of work on Temporal alone, in the same rhythm: start a no-op workflow, then three Updates. */
export async function commandsOnTemporalAlone(client: Client, taskQueue: string, concurrency: number, orders: number, spacingMs = 0): Promise<CommandRun> {
  const run = randomUUID().slice(0, 6);
  const latencies: number[] = [];
  const timed = async (call: () => Promise<unknown>) => {
    const t = performance.now();
    await call();
    latencies.push(performance.now() - t);
  };
  const { seconds, window } = await driveOrders(concurrency, orders, spacingMs, (index, step) => {
    const workflowId = `noop-${run}-${index}`;
    if (step === 0) return timed(() => client.workflow.start('noopWorkflow', { workflowId, taskQueue }));
    return timed(() => client.workflow.getHandle(workflowId).executeUpdate(noopUpdate, { args: [['confirm', 'ship', 'deliver'][step - 1]] }));
  });
  return { concurrency, commands: orders * 4, seconds, window, latencies, lags: [], lagTimeouts: 0, retried: 0 };
}

/** (a) at one concurrency, with the CPU each component spent per command on each side. */
export interface CommandsAtLevel {
  scenario: Scenario & { cpuMsPerCommand: { service: Record<string, number>; baseline: Record<string, number> } };
  /** This service's rounds taken as one run. */
  ours: CommandRun;
}

/**
 * Sends `orders` orders this service's way and as many no-op workflows the baseline's, in rounds
 * that take turns, so that a spell of a slow machine (this one's speed swings by a fifth from
 * minute to minute) or a fuller Temporal database meets both alike.
 */
export async function commandsInTurns(
  level: { concurrency: number; orders: number; rounds: number; rhythm?: Rhythm },
  components: Record<string, CpuSource>,
  sides: { service: (orders: number) => Promise<CommandRun>; baseline: (orders: number) => Promise<CommandRun> },
  say: (line: string) => void,
): Promise<CommandsAtLevel> {
  const rounds = Math.min(level.rounds, level.orders);
  const inRound = (round: number) => Math.floor(((round + 1) * level.orders) / rounds) - Math.floor((round * level.orders) / rounds);
  const [ourRounds, baseRounds] = await inTurns(
    rounds,
    (round) => {
      say(`    round ${round + 1} of ${rounds}, this service: ${inRound(round)} orders …`);
      return cpuDuring(components, () => sides.service(inRound(round)));
    },
    (round) => {
      say(`    round ${round + 1} of ${rounds}, baseline: ${inRound(round)} no-op workflows × (start + 3 updates) on Temporal alone …`);
      return cpuDuring(components, () => sides.baseline(inRound(round)));
    },
  );
  const ours = combined(ourRounds.map((round) => round.result));
  const base = combined(baseRounds.map((round) => round.result));
  const ourCpu = summed(ourRounds.map((round) => round.cpu));
  const baseCpu = summed(baseRounds.map((round) => round.cpu));
  const roundRatios = ourRounds.map(({ result }, i) => (rate(result) / rate(baseRounds[i].result)).toFixed(2));
  const window = level.rhythm === 'person' ? `; rates over the ${ours.window.commands} commands answered while every lane had an order due` : '';
  const msPer = (cpu: Record<string, number>, commands: number) =>
    Object.fromEntries(Object.entries(cpu).map(([name, seconds]) => [name, Number(((seconds * 1000) / commands).toFixed(2))]));
  return {
    ours,
    scenario: {
      name: `commands over HTTP, concurrency ${level.concurrency}${level.rhythm === 'person' ? ", a person's rhythm" : ''}`,
      unit: 'cmd/s',
      count: ours.commands,
      throughput: rate(ours),
      latencyMs: distribution(ours.latencies),
      baseline: { name: 'no-op workflow, start + 3 updates', throughput: rate(base), latencyMs: distribution(base.latencies) },
      ratio: rate(ours) / rate(base),
      note: `${rounds} rounds in turns with the baseline, ratio by round ${roundRatios.join(', ')}; CPU ms per command: ${perCommand(ourCpu, ours.commands)}; baseline: ${perCommand(baseCpu, base.commands)}${window}${ours.retried ? `; ${ours.retried} answers of 503 retried with the same Idempotency-Key` : ''}`,
      cpuMsPerCommand: { service: msPer(ourCpu, ours.commands), baseline: msPer(baseCpu, base.commands) },
    },
  };
}
