/**
 * A route of the API, declared once: method, path, who may call it, the schemas of what it reads
 * and of every answer, the refusals it can give, and its handler. The router, the role check,
 * request validation, the OpenAPI document, the metrics' route labels and the CLI's checks are all
 * built from these declarations (./router.ts, ./auth.ts, ./openapi.ts, src/cli/orders.ts).
 */
import type { Context } from 'koa';
import type * as z from 'zod';
import type { ErrorCode } from '../domain/errors';

/** The roles of API keys, from least to most: each may do what the ones before it may. */
export const ROLES = ['read', 'write', 'admin'] as const;
export type Role = (typeof ROLES)[number];
/** Who may call a route: any key of at least this role, or anyone (`public`). */
export type Access = Role | 'public';

const ACCESS_RANK: readonly Access[] = ['public', ...ROLES];

/** Whether a caller of `access` (a key's role, or none: `public`) may call a route open to `needed`. */
export function reaches(access: Access, needed: Access): boolean {
  return ACCESS_RANK.indexOf(access) >= ACCESS_RANK.indexOf(needed);
}

/** One answer of a route, as the document shows it. */
export interface Answer {
  description: string;
  /** The body's schema; a route that streams or serves files may name only its media type. */
  schema?: z.ZodType;
  /** `application/json` unless said otherwise; several when the answer may be any of them. */
  mediaType?: string | string[];
  /** Headers the answer carries. */
  headers?: z.ZodObject;
  /** Operations whose parameters come from this answer (`$response.body#/orderId`), by name. */
  links?: Record<string, { operationId: string; parameters: Record<string, string> }>;
}

type Fields = z.ZodObject;
type Out<Schema> = Schema extends z.ZodType ? z.output<Schema> : undefined;

/** What a handler receives: each part of the request, read and checked by its schema. */
export interface RouteInput<Params, Query, Headers, Body> {
  params: Out<Params>;
  query: Out<Query>;
  headers: Out<Headers>;
  body: Out<Body>;
}

export type Handler<Input> = (ctx: Context, input: Input) => Promise<void> | void;

/** A route without its handler: everything the router, the role check and the document read. */
export interface Contract {
  method: 'get' | 'post';
  /** As OpenAPI spells it: `/orders/{orderId}`. */
  path: string;
  operationId: string;
  summary: string;
  access: Access;
  params?: Fields;
  query?: Fields;
  headers?: Fields;
  body?: z.ZodType;
  /** The successful answers, by status. */
  answers: Record<number, Answer>;
  /** The refusals this route itself can give; its access and the transport add theirs (./openapi.ts). */
  refusals: ErrorCode[];
  /** The command a route carries, for the command counter of /metrics. */
  command?: string;
}

export interface Route<
  Deps,
  Params extends Fields | undefined = undefined,
  Query extends Fields | undefined = undefined,
  Headers extends Fields | undefined = undefined,
  Body extends z.ZodType | undefined = undefined,
> extends Contract {
  params?: Params;
  query?: Query;
  headers?: Headers;
  body?: Body;
  handler: (deps: Deps) => Handler<RouteInput<Params, Query, Headers, Body>>;
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- the routes of a group differ in what they read
export type RouteOf<Deps> = Route<Deps, any, any, any, any>;

/** A route bound to what its handler needs. */
export interface MountedRoute {
  route: Contract;
  handle: Handler<{ params: unknown; query: unknown; headers: unknown; body: unknown }>;
}

/** Declares a route of a group whose handlers all need `Deps` (the other types are inferred). */
export function routeFor<Deps>() {
  return <Params extends Fields | undefined, Query extends Fields | undefined, Headers extends Fields | undefined, Body extends z.ZodType | undefined>(
    route: Route<Deps, Params, Query, Headers, Body>,
  ) => route;
}

/** Binds each route of a group to its dependencies. */
export function mount<Deps>(routes: ReadonlyArray<RouteOf<Deps>>, deps: Deps): MountedRoute[] {
  return routes.map(({ handler, ...route }) => ({ route, handle: handler(deps) }));
}

/** `/orders/{orderId}` as Koa's router spells it: `/orders/:orderId`. */
export function routerPath(path: string): string {
  return path.replace(/\{(\w+)\}/g, ':$1');
}
