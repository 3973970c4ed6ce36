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
import { benchRoutes } from './benchRoutes';

export interface Readiness {
  ready: boolean;
  checks: Record<string, 'ok' | string>;
}

export interface AppDeps extends OrderRouteDeps, Partial<AdminRouteDeps> {
  log: Logger;
  auth: AuthOptions;
  readiness: () => Promise<Readiness>;
  enableBenchRoutes?: boolean;
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
      ctx.state.log.debug({ method: ctx.method, path: ctx.path, status: ctx.status, millis }, 'request');
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
    ctx.body = { status: readiness.ready ? 'ready' : 'not ready', checks: readiness.checks };
  });

  const routers = [health, orderRoutes(deps)];
  if (deps.rebuild) routers.push(adminRoutes({ rebuild: deps.rebuild }));
  if (deps.enableBenchRoutes) routers.push(benchRoutes(deps.ch));
  for (const router of routers) {
    app.use(router.routes());
    app.use(router.allowedMethods({ throw: true }));
  }
  return app;
}
