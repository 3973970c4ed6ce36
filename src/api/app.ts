/**
 * The Koa application: problem+json errors first, then request ids and logging, then the routes.
 */
import { randomUUID } from 'node:crypto';
import Koa from 'koa';
import Router from '@koa/router';
import type { Logger } from '../logger';
import { authMiddleware, AuthOptions } from './auth';
import { problemMiddleware } from './problem';
import { orderRoutes, OrderRouteDeps } from './orderRoutes';
import { adminRoutes, AdminRouteDeps } from './adminRoutes';
import { docsRoutes } from './docsRoutes';
import { dashboardRoutes, DashboardOptions } from './dashboardRoutes';
import { analyticsRoutes } from './analyticsRoutes';
import { commandTypeOf, Metrics } from '../metrics';

export interface Readiness {
  ready: boolean;
  checks: Record<string, 'ok' | string>;
  /** What an operator should know that does not make the service unready (events the log refused). */
  detail?: Record<string, unknown>;
}

export interface AppDeps extends OrderRouteDeps, Partial<AdminRouteDeps> {
  log: Logger;
  /** Served at /metrics (any valid key may read it) and fed by every request. */
  metrics?: Metrics;
  /** The dashboard's links to each order's workflow. */
  dashboard?: DashboardOptions;
  auth: AuthOptions;
  readiness: () => Promise<Readiness>;
}

/** Route patterns, not paths, label the metrics: an id in a label would grow without bound. */
function recordRequest(metrics: Metrics, ctx: Koa.Context, millis: number): void {
  const route = (ctx._matchedRoute as string | undefined) ?? 'unmatched';
  const labels = { method: ctx.method, route, status: String(ctx.status) };
  metrics.httpRequests.inc(labels);
  metrics.httpDuration.observe(labels, millis / 1000);
  const type = commandTypeOf(ctx.method, route);
  if (type) {
    const accepted = ctx.status < 400;
    const code = (ctx.body as { code?: unknown } | undefined)?.code;
    metrics.commands.inc({ type, outcome: accepted ? 'accepted' : 'rejected', reason: accepted ? '' : typeof code === 'string' ? code : String(ctx.status) });
  }
}

const REQUEST_ID = /^[A-Za-z0-9._:-]{1,128}$/;

export function createApp(deps: AppDeps): Koa {
  const app = new Koa();
  app.proxy = false;
  // Errors are answered by problemMiddleware; Koa's default handler would print them again.
  app.silent = true;

  app.use(async (ctx, next) => {
    const given = ctx.get('X-Request-Id');
    const requestId = REQUEST_ID.test(given) ? given : randomUUID();
    const correlation = ctx.get('X-Correlation-Id');
    ctx.state.requestId = requestId;
    ctx.state.correlationId = REQUEST_ID.test(correlation) ? correlation : requestId;
    ctx.state.log = deps.log.child({ requestId });
    ctx.set('X-Request-Id', requestId);
    // An API of JSON: nothing here is meant to be framed, sniffed, cached or run as a page.
    ctx.set('X-Content-Type-Options', 'nosniff');
    ctx.set('Cache-Control', 'no-store');
    ctx.set('X-Frame-Options', 'DENY');
    ctx.set('Referrer-Policy', 'no-referrer');
    ctx.set('Content-Security-Policy', "default-src 'none'; frame-ancestors 'none'");
    ctx.set('Cross-Origin-Resource-Policy', 'same-origin');
    const started = process.hrtime.bigint();
    try {
      await next();
    } finally {
      const millis = Number(process.hrtime.bigint() - started) / 1e6;
      const command = ctx.state.command as { type: string; orderId: string; commandId: string } | undefined;
      if (command) {
        // Commands are logged at info with the ids the workflow and the activity log too.
        const { type, orderId, commandId } = command;
        const code = ctx.status >= 400 ? (ctx.body as { code?: string } | undefined)?.code : undefined;
        ctx.state.log.info(
          { command: type, orderId, commandId, correlationId: ctx.state.correlationId, status: ctx.status, ...(code ? { code } : {}), millis },
          'command',
        );
      } else {
        ctx.state.log.debug({ method: ctx.method, path: ctx.path, status: ctx.status, millis }, 'request');
      }
      if (deps.metrics) recordRequest(deps.metrics, ctx, millis);
    }
  });
  app.use(problemMiddleware());
  app.use(authMiddleware(deps.auth));

  const health = new Router();
  health.get('/healthz', (ctx) => {
    ctx.body = { status: 'ok' };
  });
  health.get('/readyz', async (ctx) => {
    const readiness = await deps.readiness();
    ctx.status = readiness.ready ? 200 : 503;
    ctx.body = { status: readiness.ready ? 'ready' : 'not ready', checks: readiness.checks, ...(readiness.detail ? { detail: readiness.detail } : {}) };
  });

  if (deps.metrics) {
    const metrics = deps.metrics;
    health.get('/metrics', async (ctx) => {
      ctx.type = 'text/plain; version=0.0.4; charset=utf-8';
      ctx.body = await metrics.render();
    });
  }

  const routers = [health, docsRoutes(), dashboardRoutes(deps.dashboard ?? { namespace: 'default' }), orderRoutes(deps), analyticsRoutes(deps.ch, deps.now)];
  if (deps.rebuild && deps.redeliver) routers.push(adminRoutes({ rebuild: deps.rebuild, redeliver: deps.redeliver }));
  for (const router of routers) {
    app.use(router.routes());
    app.use(router.allowedMethods({ throw: true }));
  }
  ROUTES.set(
    app,
    routers.flatMap((router) =>
      router.stack.flatMap((layer) =>
        layer.methods.filter((method) => method !== 'HEAD').map((method) => ({ method: method.toLowerCase(), path: layer.path as string })),
      ),
    ),
  );
  return app;
}

const ROUTES = new WeakMap<Koa, Array<{ method: string; path: string }>>();

/** Every method and path the app routes (the OpenAPI test holds the document to it). */
export function routesOf(app: Koa): Array<{ method: string; path: string }> {
  return ROUTES.get(app) ?? [];
}
