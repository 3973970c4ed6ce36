/**
 * What `/readyz` answers: whether this process can serve (Temporal reachable, its namespace and
 * the order search attributes there, ClickHouse reachable with its schema applied, its worker running), and in its detail what an operator should know
 * though it does not stop the service: events the event log refused, held until redelivered.
 */
import type { Client } from '@temporalio/client';
import type { Readiness } from '../api/ports';
import type { ClickHouse } from '../clickhouse/client';
import { pingClickHouse } from '../clickhouse/orderQueries';
import { eventsAwaitingRedelivery } from '../clickhouse/refusedEvents';
import { schemaIsCurrent } from '../clickhouse/schema';
import type { ClusterGate } from '../temporal/clusterGate';
import type { RunningWorker } from '../temporal/worker';

const CHECK_TIMEOUT_MS = 2000;
/** The refused events `/readyz` names; the rest are counted. */
const REFUSED_EVENTS_NAMED = 5;

export function readinessOf(client: Client, cluster: ClusterGate, ch: ClickHouse, worker?: RunningWorker): () => Promise<Readiness> {
  let schemaChecked = false;
  const clickhouse = async () => {
    await pingClickHouse(ch);
    schemaChecked ||= await schemaIsCurrent(ch);
    return schemaChecked ? 'ok' : 'schema not applied';
  };
  return async () => {
    const checks: Record<string, string> = {};
    const [temporal, temporalSetup, storage, refused] = await Promise.all([
      client
        .withDeadline(Date.now() + CHECK_TIMEOUT_MS, () => client.connection.workflowService.getSystemInfo({}))
        .then(
          () => 'ok',
          (error: Error) => `unreachable: ${error.message}`,
        ),
      cluster.readiness(),
      clickhouse().catch((error: Error) => `unreachable: ${error.message}`),
      eventsAwaitingRedelivery(ch, REFUSED_EVENTS_NAMED).catch(() => undefined),
    ]);
    checks.temporal = temporal;
    checks.temporalSetup = temporalSetup;
    checks.clickhouse = storage;
    if (worker) checks.worker = worker.worker.getState() === 'RUNNING' ? 'ok' : `worker ${worker.worker.getState()}`;
    const ready = Object.values(checks).every((check) => check === 'ok');
    if (!refused || refused.count === 0) return { ready, checks };
    return {
      ready,
      checks,
      detail: {
        refusedEvents: {
          waiting: refused.count,
          oldest: refused.oldest,
          action: 'the event log refused these events; their orders hold them, and those after them. Fix the cause, then POST /admin/events/redeliver',
        },
      },
    };
  };
}
