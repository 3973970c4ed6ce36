/**
 * The README's account of the API against the declarations it describes: every route the API
 * declares is a row of its table and every row a declared route; every error code the API can
 * answer is in its list of codes, and nothing listed is a code it never answers.
 */
import fs from 'node:fs';
import path from 'node:path';
import { ADMIN_ROUTES } from '../../src/api/adminRoutes';
import { ANALYTICS_ROUTES } from '../../src/api/analyticsRoutes';
import { HEALTH_ROUTES, metrics } from '../../src/api/healthRoutes';
import { ORDER_ROUTES } from '../../src/api/orderRoutes';
import { HTTP_STATUS } from '../../src/api/problem';
import type { Contract } from '../../src/api/route';

// Without its code blocks, whose shell comments would read as headings.
const readme = fs.readFileSync(path.join(__dirname, '../../README.md'), 'utf8').replace(/^```[\s\S]*?^```$/gm, '');

/** A section of the README, from its heading to the next heading of the same or a higher level. */
function section(heading: string): string {
  const start = readme.indexOf(`\n${heading}\n`);
  if (start < 0) throw new Error(`README has no section ${heading}`);
  const level = heading.split(' ')[0];
  const rest = readme.slice(start + heading.length + 2);
  const end = rest.search(new RegExp(`^#{1,${level.length}} `, 'm'));
  return end < 0 ? rest : rest.slice(0, end);
}

/** `GET /orders/{orderId}` for each request named in the first cell of the API table's rows. */
function routesInTable(): Set<string> {
  const routes = new Set<string>();
  for (const row of section('## The API').split('\n')) {
    if (!row.startsWith('| `')) continue;
    const firstCell = row.split(' | ')[0];
    for (const [, method, url] of firstCell.matchAll(/`(GET|POST) ([^`?\s]+)[^`]*`/g)) {
      routes.add(`${method} ${url.replace(/:(\w+)/g, '{$1}')}`);
    }
  }
  return routes;
}

// The pages (the dashboard, /docs, /openapi.json) and their files are described in prose; the
// table is the API's.
const API_ROUTES: Contract[] = [...HEALTH_ROUTES, metrics, ...ORDER_ROUTES, ...ANALYTICS_ROUTES, ...ADMIN_ROUTES];

describe("README's API table", () => {
  it('has a row for every route the API declares, and none for a route it does not', () => {
    const declared = API_ROUTES.map((route) => `${route.method.toUpperCase()} ${route.path}`);
    expect([...routesInTable()].sort()).toEqual([...new Set(declared)].sort());
  });
});

describe("README's list of error codes", () => {
  it('names every code the API answers with, and no other', () => {
    const errors = section('## The API')
      .split('\n- ')
      .find((bullet) => bullet.startsWith('**Errors**'));
    if (!errors) throw new Error('README has no **Errors** bullet under The API');
    const listed = [...errors.split('\n\n')[0].matchAll(/`([A-Z][A-Z_]+)`/g)].map(([, code]) => code);
    expect([...new Set(listed)].sort()).toEqual(Object.keys(HTTP_STATUS).sort());
  });
});
