/**
 * The Koa application: request ids and logging first, then problem+json errors, then the router
 * built from the route declarations. It needs only its ports (./ports.ts), so tests can build it
 * over stand-ins.
 */
import { randomUUID } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import Koa from 'koa';
import { CORRELATION_ID_PATTERN } from '../domain/commands';
import type { Logger } from '../logger';
import type { Metrics } from '../metrics';
import { projectRoot } from '../paths';
import { ADMIN_ROUTES, AdminRouteDeps } from './adminRoutes';
import { ANALYTICS_ROUTES } from './analyticsRoutes';
import { AuthOptions, gatekeeper } from './auth';
import { DASHBOARD_ROUTES, DashboardOptions } from './dashboardRoutes';
import { DOCS_ROUTES } from './docsRoutes';
import { HEALTH_ROUTES, metrics as metricsRoute } from './healthRoutes';
import { openApiDocument } from './openapi';
import { ORDER_ROUTES } from './orderRoutes';
import type { OrderCommands, Readiness, ReadModels } from './ports';
import { MIN_VERSION_WAIT_MS } from './queryParams';
import { problemMiddleware } from './problem';
import { Contract, mount, MountedRoute } from './route';
import { buildRouter } from './router';

export interface AppDeps {
  log: Logger;
  gateway: OrderCommands;
  readModels: ReadModels;
  readiness: () => Promise<Readiness>;
  auth: AuthOptions;
  /** Served at /metrics (any valid key may read it) and fed by every request. */
  metrics?: Metrics;
  /** The dashboard's links to each order's workflow. */
  dashboard?: DashboardOptions;
  /** Set where this process holds the database: the routes that refill the read models and redeliver refused events. */
  admin?: AdminRouteDeps;
  now?: () => Date;
  /** How long `?minVersion=` may wait for the read model (MIN_VERSION_WAIT_MS unless said). */
  minVersionWaitMs?: number;
}

/** Every route the app serves, bound to its dependencies; the document describes exactly these. */
export function apiRoutes(deps: AppDeps): MountedRoute[] {
  const now = deps.now ?? (() => new Date());
  const routes = [
    ...mount(HEALTH_ROUTES, deps),
    ...(deps.metrics ? mount([metricsRoute], { metrics: deps.metrics }) : []),
    ...mount(DASHBOARD_ROUTES, deps.dashboard ?? { namespace: 'default' }),
    ...mount(ORDER_ROUTES, { gateway: deps.gateway, readModels: deps.readModels, now, minVersionWaitMs: deps.minVersionWaitMs ?? MIN_VERSION_WAIT_MS }),
    ...mount(ANALYTICS_ROUTES, { readModels: deps.readModels, now }),
    ...(deps.admin ? mount(ADMIN_ROUTES, deps.admin) : []),
  ];
  const contracts: Contract[] = [...routes.map(({ route }) => route), ...DOCS_ROUTES];
  const document = JSON.stringify(openApiDocument(contracts, packageVersion()));
  return [...routes, ...mount(DOCS_ROUTES, { document })];
}

function packageVersion(): string {
  return (JSON.parse(fs.readFileSync(path.join(projectRoot(), 'package.json'), 'utf8')) as { version: string }).version;
}

/** Route patterns, not paths, label the metrics: an id in a label would grow without bound. */
function recordRequest(metrics: Metrics, ctx: Koa.Context, millis: number): void {
  const route = ctx.state.route as Contract | undefined;
  const labels = { method: ctx.method, route: route?.path ?? 'unmatched', status: String(ctx.status) };
  metrics.httpRequests.inc(labels);
  metrics.httpDuration.observe(labels, millis / 1000);
  if (route?.command) {
    const accepted = ctx.status < 400;
    const code = (ctx.body as { code?: unknown } | undefined)?.code;
    metrics.commands.inc({
      type: route.command,
      outcome: accepted ? 'accepted' : 'rejected',
      reason: accepted ? '' : typeof code === 'string' ? code : String(ctx.status),
    });
  }
}

/** Request and correlation ids, the headers every answer carries, the log line and the metrics of each request. */
function requestContext(deps: AppDeps): Koa.Middleware {
  return async (ctx, next) => {
    const given = ctx.get('X-Request-Id');
    const requestId = CORRELATION_ID_PATTERN.test(given) ? given : randomUUID();
    const correlation = ctx.get('X-Correlation-Id');
    ctx.state.requestId = requestId;
    ctx.state.correlationId = CORRELATION_ID_PATTERN.test(correlation) ? correlation : requestId;
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
  };
}

export function createApp(deps: AppDeps): Koa {
  const app = new Koa();
  app.proxy = false;
  // Errors are answered by problemMiddleware; Koa's default handler would print them again.
  app.silent = true;
  app.use(requestContext(deps));
  app.use(problemMiddleware());
  app.use(buildRouter(apiRoutes(deps), gatekeeper(deps.auth)));
  return app;
}
