/**
 * Refills every read model from `order_events`, through the very query of the materialized view
 * that feeds it live, so a rebuilt model equals a live one. Events may keep arriving meanwhile:
 * every read model ignores a second copy of an event, so nothing is lost or counted twice. Until
 * the rebuild finishes, queries see the models partly filled.
 */
import type { ClickHouse } from './client';
import { ddlFor } from './migrations';
import { PROJECTIONS } from './migrations';
import type { RebuildProgress, RebuildSummary } from '../api/ports';

/** The log is read in this many slices (by hash of order id), so progress can be shown. */
const SLICES = 16;

async function scalar(ch: ClickHouse, query: string, params: Record<string, unknown> = {}): Promise<string> {
  const result = await ch.client.query({ query, query_params: params, format: 'JSONEachRow' });
  const [row] = await result.json<Record<string, string>>();
  return row ? String(Object.values(row)[0]) : '';
}

export async function rebuildProjections(ch: ClickHouse, onProgress: (progress: RebuildProgress) => void = () => {}): Promise<RebuildSummary> {
  const db = ch.database;
  const started = Date.now();
  const events = Number(await scalar(ch, `SELECT count() FROM ${db}.order_events`));
  const tables: Record<string, number> = {};
  for (const { table, view } of PROJECTIONS) {
    const select = await scalar(ch, 'SELECT as_select FROM system.tables WHERE database = {db:String} AND name = {view:String}', {
      db,
      view,
    });
    if (!select) throw new Error(`the view ${db}.${view} is missing; start the service once to apply the schema`);
    await ch.client.command({ query: `TRUNCATE TABLE ${db}.${table}${ddlFor(db, ch.cluster).onCluster}` });
    for (let slice = 0; slice < SLICES; slice += 1) {
      const filter = `cityHash64(order_id) % ${SLICES} = ${slice}`;
      await ch.client.command({
        query: `INSERT INTO ${db}.${table} ${select} SETTINGS additional_table_filters = {'${db}.order_events': '${filter}'}`,
      });
      onProgress({ table, slice: slice + 1, slices: SLICES });
    }
    tables[table] = Number(await scalar(ch, `SELECT count() FROM ${db}.${table}`));
  }
  return { events, tables, millis: Date.now() - started };
}
