/**
 * Operations that must run inside the process holding the embedded database. The rebuild answers
 * as a stream of NDJSON lines: progress while it runs, then the summary (or the error). The
 * redelivery asks the orders holding events the event log refused to deliver them again.
 */
import { PassThrough } from 'node:stream';
import { DomainError } from '../domain/errors';
import type { Rebuild, Redeliver } from './ports';
import { routeFor } from './route';
import { REBUILD_LINE, REDELIVERY } from './schemas';

export interface AdminRouteDeps {
  rebuild: Rebuild;
  redeliver: Redeliver;
}

const route = routeFor<AdminRouteDeps>();

export const rebuildProjections = route({
  method: 'post',
  path: '/admin/projections/rebuild',
  operationId: 'rebuildProjections',
  summary: 'Refill every read model from the event log',
  access: 'admin',
  answers: { 200: { description: 'NDJSON: {progress} lines, then {done} or {error}', mediaType: 'application/x-ndjson', schema: REBUILD_LINE } },
  refusals: ['REBUILD_RUNNING'],
  handler: ({ rebuild }) => {
    let running = false;
    return (ctx) => {
      if (running) throw new DomainError('REBUILD_RUNNING', 'a rebuild is already running; wait for it to finish');
      running = true;
      const stream = new PassThrough();
      ctx.status = 200;
      ctx.type = 'application/x-ndjson';
      ctx.body = stream;
      const write = (line: object) => stream.write(`${JSON.stringify(line)}\n`);
      rebuild((progress) => write({ progress }))
        .then((summary) => write({ done: summary }))
        .catch((error: unknown) => {
          ctx.state.log?.error({ err: error }, 'rebuild failed');
          write({ error: error instanceof Error ? error.message : String(error) });
        })
        .finally(() => {
          running = false;
          stream.end();
        });
    };
  },
});

export const redeliverRefusedEvents = route({
  method: 'post',
  path: '/admin/events/redeliver',
  operationId: 'redeliverRefusedEvents',
  summary: 'Ask every order holding an event the event log refused to deliver it again, once the cause is fixed',
  access: 'admin',
  answers: { 202: { description: 'The orders asked; each delivers its held events in order', schema: REDELIVERY } },
  refusals: [],
  handler:
    ({ redeliver }) =>
    async (ctx) => {
      ctx.status = 202;
      ctx.body = await redeliver();
    },
});

export const ADMIN_ROUTES = [rebuildProjections, redeliverRefusedEvents];
