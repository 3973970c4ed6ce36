/**
 * The API's contract for people and machines: `/openapi.json`, built from the route declarations
 * (./openapi.ts), and `/docs`, Swagger UI served from the `swagger-ui-dist` npm package (no CDN).
 */
import fs from 'node:fs';
import path from 'node:path';
import * as z from 'zod';
import { CSS, fileRoute, JAVASCRIPT } from './files';
import { routeFor } from './route';

export interface DocsRouteDeps {
  /** The OpenAPI document, as JSON text. */
  document: string;
}

const route = routeFor<DocsRouteDeps>();

const PAGE = `<!doctype html>
<html lang="en">
<head><meta charset="utf-8"><title>Orders API</title><link rel="stylesheet" href="/docs/swagger-ui.css"></head>
<body><div id="swagger-ui"></div><script src="/docs/swagger-ui-bundle.js"></script><script src="/docs/init.js"></script></body>
</html>
`;

// An external script: the page's Content-Security-Policy allows no inline script.
const INIT = `window.ui = SwaggerUIBundle({ url: '/openapi.json', dom_id: '#swagger-ui', persistAuthorization: false });\n`;

/** Scripts and styles from this origin only; Swagger UI sets some inline styles and data: images. */
const DOCS_CSP = "default-src 'none'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; connect-src 'self'; frame-ancestors 'none'";

const dist = () => path.dirname(require.resolve('swagger-ui-dist/package.json'));

export const openApi = route({
  method: 'get',
  path: '/openapi.json',
  operationId: 'openapi',
  summary: 'This document',
  access: 'public',
  answers: { 200: { description: 'OpenAPI 3.1', schema: z.looseObject({ openapi: z.literal('3.1.0') }) } },
  refusals: [],
  handler:
    ({ document }) =>
    (ctx) => {
      ctx.type = 'application/json';
      ctx.body = document;
    },
});

export const docsPage = route({
  method: 'get',
  path: '/docs',
  operationId: 'docs',
  summary: 'Interactive documentation (Swagger UI, served from npm)',
  access: 'public',
  answers: { 200: { description: 'HTML', mediaType: 'text/html' } },
  refusals: [],
  handler: () => (ctx) => {
    ctx.set('Content-Security-Policy', DOCS_CSP);
    ctx.set('Cache-Control', 'no-cache');
    ctx.type = 'text/html; charset=utf-8';
    ctx.body = PAGE;
  },
});

export const docsAsset = fileRoute({
  path: '/docs/{asset}',
  operationId: 'docsAsset',
  summary: 'A file of the interactive documentation',
  cacheControl: 'public, max-age=3600',
  files: {
    'swagger-ui.css': { type: CSS, body: () => fs.createReadStream(path.join(dist(), 'swagger-ui.css')) },
    'swagger-ui-bundle.js': { type: JAVASCRIPT, body: () => fs.createReadStream(path.join(dist(), 'swagger-ui-bundle.js')) },
    'init.js': { type: JAVASCRIPT, body: () => INIT },
  },
});

export const DOCS_ROUTES = [openApi, docsPage, docsAsset];
