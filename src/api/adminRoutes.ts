import Router from '@koa/router';
import { PassThrough } from 'node:stream';
import { DomainError } from '../domain/errors';
import type { RebuildProgress, RebuildSummary } from '../clickhouse/rebuild';
import type { RedeliveryReport } from '../temporal/redelivery';

export interface AdminRouteDeps {
  /** Refills the read models from the event log (in the process that holds the database). */
  rebuild: (onProgress: (progress: RebuildProgress) => void) => Promise<RebuildSummary>;
  /** Asks every order holding an event the log refused to deliver it again. */
  redeliver: () => Promise<RedeliveryReport>;
}

/**
 * Operations that must run inside the process holding the embedded database. The rebuild answers
 * as a stream of NDJSON lines: progress while it runs, then the summary (or the error).
 */
export function adminRoutes(deps: AdminRouteDeps): Router {
  const router = new Router();
  let running = false;
  router.post('/admin/projections/rebuild', (ctx) => {
    if (running) throw new DomainError('REBUILD_RUNNING', 'a rebuild is already running; wait for it to finish');
    running = true;
    const stream = new PassThrough();
    ctx.status = 200;
    ctx.type = 'application/x-ndjson';
    ctx.body = stream;
    const write = (line: object) => stream.write(`${JSON.stringify(line)}\n`);
    deps
      .rebuild((progress) => write({ progress }))
      .then((summary) => write({ done: summary }))
      .catch((error: unknown) => {
        ctx.state.log?.error({ err: error }, 'rebuild failed');
        write({ error: error instanceof Error ? error.message : String(error) });
      })
      .finally(() => {
        running = false;
        stream.end();
      });
  });
  // Once the cause of a refusal is fixed: each order delivers its held events again, in order.
  router.post('/admin/events/redeliver', async (ctx) => {
    ctx.status = 202;
    ctx.body = await deps.redeliver();
  });
  return router;
}
