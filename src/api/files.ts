/** Routes that serve one of a fixed set of files by name: only those names ever reach the file system. */
import type { Readable } from 'node:stream';
import * as z from 'zod';
import { routeFor } from './route';

export const JAVASCRIPT = 'text/javascript; charset=utf-8';
export const CSS = 'text/css; charset=utf-8';

export interface ServedFile {
  type: string;
  body: () => Readable | string;
}

export function fileRoute(spec: { path: string; operationId: string; summary: string; cacheControl: string; files: Record<string, ServedFile> }) {
  const names = Object.keys(spec.files) as [string, ...string[]];
  return routeFor<unknown>()({
    method: 'get',
    path: spec.path,
    operationId: spec.operationId,
    summary: spec.summary,
    access: 'public',
    params: z.object({ asset: z.enum(names) }),
    answers: { 200: { description: 'The file', mediaType: [...new Set(Object.values(spec.files).map((file) => file.type))] } },
    refusals: [],
    handler:
      () =>
      (ctx, { params: { asset } }) => {
        ctx.set('Cache-Control', spec.cacheControl);
        ctx.type = spec.files[asset].type;
        ctx.body = spec.files[asset].body();
      },
  });
}
