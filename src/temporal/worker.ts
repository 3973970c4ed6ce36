/**
 * The order worker: runs order workflows and the activity that appends their events. One
 * EventLogWriter is shared by all of its workflows so their events are written in common batches.
 */
import fs from 'node:fs';
import path from 'node:path';
import { bundleWorkflowCode, NativeConnection, Worker, WorkerOptions, WorkflowBundleWithSourceMap } from '@temporalio/worker';
import { ActivityDeps, createActivities } from '../../activities';
import type { TemporalConnectionOptions } from './connectionOptions';

export interface OrderWorkerOptions {
  /** Where the Temporal server is, and how to reach it securely. */
  connection: TemporalConnectionOptions;
  namespace: string;
  taskQueue: string;
  /** What the activities talk to. */
  activities: ActivityDeps;
  /** Activities (deliveries) run at once; see Config.workerActivitySlots. */
  activitySlots: number;
  /** A pre-built workflow bundle (`npm run build` writes one; tests build one per run); otherwise bundled from `workflows/`. */
  workflowBundle?: WorkerOptions['workflowBundle'];
}

export interface RunningWorker {
  worker: Worker;
  /** Settles when the worker stops; rejects if it crashed. */
  done: Promise<void>;
  /** Stops polling, lets in-flight tasks finish, then closes the connection. */
  stop(): Promise<void>;
}

export function workflowsPath(): string {
  return require.resolve('../../workflows');
}

/**
 * Modules a worker thread builds once and shares among all its workflows, where it would otherwise
 * build them afresh for each workflow it creates: the domain (with zod and the command schemas)
 * and the message declarations, which hold no state of any one workflow. The sandbox freezes what
 * they export; `order.ts` says what that asks of the domain. docs/decisions/0062 has the figures.
 */
function sharedModules(): string[] {
  return [require.resolve('../domain/order'), require.resolve('../../workflows/messages')];
}

/** Bundles the workflow code (webpack, a few seconds), quietly: for the build, and for tests. */
export function bundleWorkflows(source: string = workflowsPath()): Promise<WorkflowBundleWithSourceMap> {
  const quiet = () => {};
  return bundleWorkflowCode({
    workflowsPath: source,
    preloadModules: sharedModules(),
    logger: { log: quiet, trace: quiet, debug: quiet, info: quiet, warn: quiet, error: quiet },
  });
}

/** Where `npm run build` writes the bundle of the compiled workflows: dist/workflow-bundle.js. */
export function builtBundlePath(compiled: string = workflowsPath()): string {
  return path.resolve(path.dirname(compiled), '..', 'workflow-bundle.js');
}

/**
 * The bundle `npm run build` made, when this runs compiled and the bundle is not older than the
 * compiled workflows (tsc rewrites every output, so a bundle from before the last tsc run is
 * refused rather than run as stale workflow code). Otherwise the worker bundles `workflows/` as
 * it starts, which costs seconds and about 60 MiB that stays with the process (webpack).
 */
export function builtWorkflowBundle(compiled: string = workflowsPath()): { codePath: string } | undefined {
  if (!compiled.endsWith('.js')) return undefined;
  const bundle = builtBundlePath(compiled);
  try {
    return fs.statSync(bundle).mtimeMs >= fs.statSync(compiled).mtimeMs ? { codePath: bundle } : undefined;
  } catch {
    return undefined;
  }
}

export async function startOrderWorker(options: OrderWorkerOptions): Promise<RunningWorker> {
  const connection = await NativeConnection.connect(options.connection);
  const worker = await Worker.create({
    connection,
    namespace: options.namespace,
    taskQueue: options.taskQueue,
    ...(options.workflowBundle
      ? { workflowBundle: options.workflowBundle }
      : { workflowsPath: workflowsPath(), bundlerOptions: { preloadModules: sharedModules() } }),
    activities: createActivities(options.activities),
    // Orders are small, independent workflows: keep many cached so a command rarely replays history.
    maxCachedWorkflows: 2000,
    maxConcurrentActivityTaskExecutions: options.activitySlots,
    shutdownGraceTime: '10 seconds',
  });
  const done = worker.run().finally(() => connection.close());
  return {
    worker,
    done,
    async stop() {
      if (worker.getState() === 'RUNNING') worker.shutdown();
      await done;
    },
  };
}
