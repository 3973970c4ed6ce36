/**
 * The API's contract for people and machines: `/openapi.json`, generated from the validating
 * specs, and `/docs`, Swagger UI served from the `swagger-ui-dist` npm package (no CDN).
 */
import fs from 'node:fs';
import path from 'node:path';
import Router from '@koa/router';
import { DomainError } from '../domain/errors';
import { projectRoot } from '../paths';
import { openApiDocument } from './openapi';

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

const ASSETS: Record<string, string> = {
  'swagger-ui.css': 'text/css; charset=utf-8',
  'swagger-ui-bundle.js': 'text/javascript; charset=utf-8',
};

export function docsRoutes(): Router {
  const router = new Router();
  const version = (JSON.parse(fs.readFileSync(path.join(projectRoot(), 'package.json'), 'utf8')) as { version: string }).version;
  const document = JSON.stringify(openApiDocument(version));
  const dist = path.dirname(require.resolve('swagger-ui-dist/package.json'));

  router.get('/openapi.json', (ctx) => {
    ctx.type = 'application/json';
    ctx.body = document;
  });
  router.get('/docs', (ctx) => {
    ctx.set('Content-Security-Policy', DOCS_CSP);
    ctx.set('Cache-Control', 'no-cache');
    ctx.type = 'text/html; charset=utf-8';
    ctx.body = PAGE;
  });
  router.get('/docs/:asset', (ctx) => {
    const asset = ctx.params.asset;
    ctx.set('Cache-Control', 'public, max-age=3600');
    if (asset === 'init.js') {
      ctx.type = 'text/javascript; charset=utf-8';
      ctx.body = INIT;
      return;
    }
    // Only the listed files of the package: the name never reaches the file system otherwise.
    if (!Object.hasOwn(ASSETS, asset)) throw new DomainError('NOT_FOUND', `no documentation file ${asset.slice(0, 100)}`);
    ctx.type = ASSETS[asset];
    ctx.body = fs.createReadStream(path.join(dist, asset));
  });
  return router;
}
