/**
 * The dashboard at `/`: a static page (dashboard/ in the project) and Chart.js from npm, no CDN.
 * The page itself holds no data; it reads the public query API with the key its user gives.
 */
import fs from 'node:fs';
import path from 'node:path';
import * as z from 'zod';
import { projectRoot } from '../paths';
import { CSS, fileRoute, JAVASCRIPT } from './files';
import { routeFor } from './route';

export interface DashboardOptions {
  /** Where each order's workflow can be opened (the Temporal Web UI), if known. */
  temporalUiUrl?: string;
  namespace: string;
}

const route = routeFor<DashboardOptions>();

const CSP = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; form-action 'self'; frame-ancestors 'none'";
const DIR = () => path.join(projectRoot(), 'dashboard');
const file = (type: string, at: () => string) => ({ type, body: () => fs.createReadStream(at()) });

export const dashboardPage = route({
  method: 'get',
  path: '/',
  operationId: 'dashboard',
  summary: 'The dashboard (reads this API with the key its user gives)',
  access: 'public',
  answers: { 200: { description: 'HTML', mediaType: 'text/html' } },
  refusals: [],
  handler: () => (ctx) => {
    ctx.set('Content-Security-Policy', CSP);
    ctx.set('Cache-Control', 'no-cache');
    ctx.type = 'text/html; charset=utf-8';
    ctx.body = fs.createReadStream(path.join(DIR(), 'index.html'));
  },
});

export const dashboardConfig = route({
  method: 'get',
  path: '/dashboard/config.json',
  operationId: 'dashboardConfig',
  summary: "The dashboard's settings: where the Temporal Web UI is",
  access: 'public',
  answers: { 200: { description: 'Where to link each order', schema: z.object({ temporalUiUrl: z.string().nullable(), namespace: z.string() }) } },
  refusals: [],
  handler: (options) => {
    const config = JSON.stringify({ temporalUiUrl: options.temporalUiUrl ?? null, namespace: options.namespace });
    return (ctx) => {
      ctx.type = 'application/json';
      ctx.body = config;
    };
  },
});

export const dashboardAsset = fileRoute({
  path: '/dashboard/{asset}',
  operationId: 'dashboardAsset',
  summary: 'A file of the dashboard (its script, style, and Chart.js from npm)',
  cacheControl: 'no-cache',
  files: {
    'app.js': file(JAVASCRIPT, () => path.join(DIR(), 'app.js')),
    'app.css': file(CSS, () => path.join(DIR(), 'app.css')),
    'chart.umd.min.js': file(JAVASCRIPT, () => path.join(path.dirname(require.resolve('chart.js')), 'chart.umd.min.js')),
  },
});

export const DASHBOARD_ROUTES = [dashboardPage, dashboardConfig, dashboardAsset];
