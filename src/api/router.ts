/**
 * The router, built from the route declarations: each route admits its callers (./auth.ts), reads
 * its path, query, headers and body through its schemas (./request.ts), then runs its handler. A
 * request no route takes is answered here too: 405 with `Allow` for a method the path does not
 * have (any method, TRACE and PROPFIND included), 204 with `Allow` for OPTIONS, 404 for a path that
 * does not exist. Outside the open routes, only a caller with a valid key learns which paths exist.
 */
import Router from '@koa/router';
import type { Middleware } from 'koa';
import { DomainError } from '../domain/errors';
import type { Gatekeeper } from './auth';
import { readJsonBody } from './body';
import { readRequest } from './request';
import { Access, Contract, MountedRoute, reaches, routerPath } from './route';

/** The router as one middleware: the declared routes, then what no route took. */
export function buildRouter(routes: MountedRoute[], gate: Gatekeeper): Middleware {
  const router = new Router();
  const declared = new Map<unknown, Contract>();
  for (const { route, handle } of routes) {
    const remember: Middleware = async (ctx, next) => {
      ctx.state.route = route;
      await next();
    };
    const run: Middleware = async (ctx) => {
      const body = route.body ? await readJsonBody(ctx) : undefined;
      await handle(ctx, readRequest(route, { params: ctx.params, query: ctx.query, headers: ctx.headers, body }));
    };
    const layer = router.register(routerPath(route.path), [route.method.toUpperCase()], [remember, gate.admit(route.access), run], { name: route.operationId });
    declared.set(layer, route);
  }
  const dispatch = router.routes() as unknown as Middleware;

  const notRouted: Middleware = async (ctx) => {
    const atPath = router
      .match(ctx.path, ctx.method)
      .path.map((layer) => declared.get(layer))
      .filter((route): route is Contract => route !== undefined);
    // Open paths stay open; anywhere else a key comes first, so that paths are not probed without one.
    const access = atPath.reduce<Access>((least, route) => (reaches(least, route.access) ? route.access : least), atPath.length > 0 ? 'admin' : 'read');
    await gate.admit(access)(ctx, async () => {
      if (atPath.length === 0) throw new DomainError('NOT_FOUND', `no route for ${ctx.method} ${ctx.path}`);
      const methods = [...new Set(atPath.flatMap((route) => (route.method === 'get' ? ['GET', 'HEAD'] : ['POST'])))];
      ctx.set('Allow', [...methods, 'OPTIONS'].join(', '));
      if (ctx.method === 'OPTIONS') {
        ctx.status = 204;
        return;
      }
      throw new DomainError('METHOD_NOT_ALLOWED', `${ctx.method} is not allowed on ${ctx.path}; it takes ${methods.join(', ')}`);
    });
  };

  return (ctx, next) => dispatch(ctx, () => notRouted(ctx, next));
}
