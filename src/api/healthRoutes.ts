/** Liveness and readiness (open to anyone), and the Prometheus page (any key). */
import type { Metrics } from '../metrics';
import type { Readiness } from './ports';
import { routeFor } from './route';
import { HEALTH, READINESS } from './schemas';

export interface HealthRouteDeps {
  readiness: () => Promise<Readiness>;
}

const route = routeFor<HealthRouteDeps>();

export const health = route({
  method: 'get',
  path: '/healthz',
  operationId: 'health',
  summary: 'Liveness',
  access: 'public',
  answers: { 200: { description: 'The process answers', schema: HEALTH } },
  refusals: [],
  handler: () => (ctx) => {
    ctx.body = { status: 'ok' };
  },
});

export const readiness = route({
  method: 'get',
  path: '/readyz',
  operationId: 'readiness',
  summary: 'Readiness: Temporal, ClickHouse and the schema, the worker; in its detail, events the event log refused',
  access: 'public',
  answers: {
    200: { description: 'Ready', schema: READINESS },
    503: { description: 'Not ready; the checks say what is missing', schema: READINESS },
  },
  refusals: [],
  handler:
    ({ readiness }) =>
    async (ctx) => {
      const { ready, checks, detail } = await readiness();
      ctx.status = ready ? 200 : 503;
      ctx.body = { status: ready ? 'ready' : 'not ready', checks, ...(detail ? { detail } : {}) };
    },
});

export const HEALTH_ROUTES = [health, readiness];

export const metrics = routeFor<{ metrics: Metrics }>()({
  method: 'get',
  path: '/metrics',
  operationId: 'metrics',
  summary: 'Prometheus metrics of this process (and of the Temporal SDK when its exporter runs)',
  access: 'read',
  answers: { 200: { description: 'Prometheus text format', mediaType: 'text/plain' } },
  refusals: [],
  handler:
    ({ metrics }) =>
    async (ctx) => {
      ctx.type = 'text/plain; version=0.0.4; charset=utf-8';
      ctx.body = await metrics.render();
    },
});
