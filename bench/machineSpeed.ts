/**
 * How fast this machine is right now, measured the same way in every run of the bench: a shared
 * VM's speed changes from hour to hour (the project machine has spent whole evenings at a third
 * of its usual speed), and without these a slow run looks like a slow change. Plain JavaScript,
 * system calls, fresh memory and fsync are measured apart because they do not slow down together:
 * the Temporal server and chDB spend much of their time in system calls, page faults and fsyncs,
 * the workflow code in V8.
 */
import fs from 'node:fs';
import path from 'node:path';

export interface MachineSpeed {
  /** Milliseconds for a fixed loop of integer arithmetic (V8, one core). */
  jsLoopMs: number;
  /** Microseconds per small write to /dev/null: the cost of entering the kernel. */
  syscallMicros: number;
  /** Microseconds per 4 KiB page of fresh memory first written: mostly the page fault's cost. */
  pageMicros: number;
  /** Milliseconds per 4 KiB write + fsync in `dir`: what a commit costs on this disk. */
  fsyncMs: number;
}

const LOOP_ITERATIONS = 50_000_000;
const SYSCALLS = 200_000;
const FSYNCS = 100;
const FRESH_BYTES = 256 * 2 ** 20;
const CHUNK_BYTES = 32 * 2 ** 20;

/** Takes about a second on the project machine. Run it while the machine is otherwise idle. */
export function measureMachineSpeed(dir: string): MachineSpeed {
  return { jsLoopMs: round(jsLoopMs()), syscallMicros: round(syscallMicros()), pageMicros: round(pageMicros()), fsyncMs: round(fsyncMs(dir)) };
}

function jsLoopMs(): number {
  const started = process.hrtime.bigint();
  let x = 0;
  for (let i = 0; i < LOOP_ITERATIONS; i += 1) x = (x + i * 7) % 1_000_003;
  const elapsed = elapsedMs(started);
  // Used, so that the loop cannot be optimized away.
  if (x < 0) throw new Error('unreachable');
  return elapsed;
}

function syscallMicros(): number {
  const fd = fs.openSync('/dev/null', 'w');
  const byte = Buffer.alloc(1);
  try {
    const started = process.hrtime.bigint();
    for (let i = 0; i < SYSCALLS; i += 1) fs.writeSync(fd, byte);
    return (elapsedMs(started) * 1000) / SYSCALLS;
  } finally {
    fs.closeSync(fd);
  }
}

function pageMicros(): number {
  const started = process.hrtime.bigint();
  // Outside the pool that Buffer.alloc reuses, so every chunk is memory the process has not touched.
  for (let done = 0; done < FRESH_BYTES; done += CHUNK_BYTES) Buffer.allocUnsafeSlow(CHUNK_BYTES).fill(1);
  return (elapsedMs(started) * 1000) / (FRESH_BYTES / 4096);
}

function fsyncMs(dir: string): number {
  const file = path.join(dir, `.fsync-probe-${process.pid}`);
  const fd = fs.openSync(file, 'w');
  const page = Buffer.alloc(4096, 1);
  try {
    const started = process.hrtime.bigint();
    for (let i = 0; i < FSYNCS; i += 1) {
      fs.writeSync(fd, page, 0, page.length, 0);
      fs.fsyncSync(fd);
    }
    return elapsedMs(started) / FSYNCS;
  } finally {
    fs.closeSync(fd);
    fs.rmSync(file, { force: true });
  }
}

const elapsedMs = (started: bigint) => Number(process.hrtime.bigint() - started) / 1e6;
const round = (value: number) => Math.round(value * 100) / 100;
