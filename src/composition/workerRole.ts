/** The worker role: runs order workflows and their delivery activity on the task queue. */
import path from 'node:path';
import type { WorkerOptions } from '@temporalio/worker';
import type { Config } from '../config';
import type { Logger } from '../logger';
import type { Metrics } from '../metrics';
import { checkClusterForWorker } from '../temporal/clusterGate';
import { builtBundlePath, builtWorkflowBundle, RunningWorker, startOrderWorker, workflowsPath } from '../temporal/worker';
import { projectRoot } from '../paths';
import type { Storage } from './storage';
import type { Stops } from './stops';
import type { Temporal } from './temporal';

export interface WorkerRoleOptions {
  say: (message: string) => void;
  log: Logger;
  metrics: Metrics;
  /** The workflow code to run; by default the bundle `npm run build` wrote, else `workflows/` bundled now. */
  workflowBundle?: WorkerOptions['workflowBundle'];
}

export async function startWorkerRole(config: Config, temporal: Temporal, storage: Storage, options: WorkerRoleOptions, stops: Stops): Promise<RunningWorker> {
  const { say, log } = options;
  const workflowBundle = options.workflowBundle ?? builtWorkflowBundle();
  if (!workflowBundle && workflowsPath().endsWith('.js')) {
    log.warn(
      `no current ${path.relative(projectRoot(), builtBundlePath())} (npm run build writes it): bundling the workflows now, which takes seconds and memory`,
    );
  }
  await checkClusterForWorker(temporal.connection, temporal.namespace, log);
  say(`starting the order worker on task queue ${config.temporalTaskQueue}`);
  const worker = await startOrderWorker({
    connection: temporal.connection,
    namespace: temporal.namespace,
    taskQueue: config.temporalTaskQueue,
    activities: { eventLog: storage.eventLog, refusedEvents: storage.refusedEvents, log, metrics: options.metrics },
    activitySlots: config.workerActivitySlots,
    workflowBundle,
  });
  stops.push('the worker', () => worker.stop());
  worker.done.catch((error: unknown) => log.error({ err: error }, 'the worker stopped with an error'));
  return worker;
}
