/**
 * The dashboard at `/`: a static page (dashboard/ in the project) and Chart.js from npm, no CDN.
 * The page itself holds no data; it reads the public query API with the key its user gives.
 */
import fs from 'node:fs';
import path from 'node:path';
import Router from '@koa/router';
import { DomainError } from '../domain/errors';
import { projectRoot } from '../paths';

export interface DashboardOptions {
  /** Where each order's workflow can be opened (the Temporal Web UI), if known. */
  temporalUiUrl?: string;
  namespace: string;
}

const CSP = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; form-action 'self'; frame-ancestors 'none'";

export function dashboardRoutes(options: DashboardOptions): Router {
  const router = new Router();
  const dir = path.join(projectRoot(), 'dashboard');
  const assets: Record<string, { file: string; type: string }> = {
    'app.js': { file: path.join(dir, 'app.js'), type: 'text/javascript; charset=utf-8' },
    'app.css': { file: path.join(dir, 'app.css'), type: 'text/css; charset=utf-8' },
    'chart.umd.min.js': { file: path.join(path.dirname(require.resolve('chart.js')), 'chart.umd.min.js'), type: 'text/javascript; charset=utf-8' },
  };
  const config = JSON.stringify({ temporalUiUrl: options.temporalUiUrl ?? null, namespace: options.namespace });

  router.get('/', (ctx) => {
    ctx.set('Content-Security-Policy', CSP);
    ctx.set('Cache-Control', 'no-cache');
    ctx.type = 'text/html; charset=utf-8';
    ctx.body = fs.createReadStream(path.join(dir, 'index.html'));
  });
  router.get('/dashboard/config.json', (ctx) => {
    ctx.type = 'application/json';
    ctx.body = config;
  });
  router.get('/dashboard/:asset', (ctx) => {
    const asset = ctx.params.asset;
    // Only the listed files: the name never reaches the file system otherwise.
    if (!Object.hasOwn(assets, asset)) throw new DomainError('NOT_FOUND', `no dashboard file ${asset.slice(0, 100)}`);
    ctx.set('Cache-Control', 'no-cache');
    ctx.type = assets[asset].type;
    ctx.body = fs.createReadStream(assets[asset].file);
  });
  return router;
}
