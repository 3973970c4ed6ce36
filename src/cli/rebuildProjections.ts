/**
 * `npm run projections:rebuild`: drops the content of every read model and refills it from
 * `order_events`, showing progress. When a service is running it asks that service to do it
 * (the embedded database can be open in one process only); otherwise it opens the database itself.
 */
import { openClickHouse } from '../clickhouse/client';
import type { RebuildProgress, RebuildSummary } from '../api/ports';
import { rebuildProjections } from '../clickhouse/rebuild';
import { applySchema } from '../clickhouse/schema';
import { loadConfig } from '../config';
import { ApiTarget, apiTarget, authorization, ndjsonLines } from './apiClient';

function showProgress(progress: RebuildProgress): void {
  const width = 16;
  const filled = Math.round((progress.slice / progress.slices) * width);
  const bar = `${'#'.repeat(filled)}${'.'.repeat(width - filled)}`;
  const line = `  ${progress.table.padEnd(20)} [${bar}] ${progress.slice}/${progress.slices}`;
  if (process.stdout.isTTY) process.stdout.write(`\r${line}${progress.slice === progress.slices ? '\n' : ''}`);
  else if (progress.slice === progress.slices) console.log(line);
}

function showSummary(summary: RebuildSummary): void {
  console.log(`rebuilt from ${summary.events} events in ${(summary.millis / 1000).toFixed(1)}s:`);
  for (const [table, rows] of Object.entries(summary.tables)) console.log(`  ${table.padEnd(20)} ${rows} rows`);
}

/** Asks a running service to rebuild; undefined when no service answers at `base`. */
async function rebuildThroughService(target: ApiTarget): Promise<RebuildSummary | undefined> {
  const base = target.base;
  let response: Response;
  try {
    response = await fetch(`${base}/admin/projections/rebuild`, { method: 'POST', headers: authorization(target) });
  } catch {
    return undefined;
  }
  if (!response.ok || !response.body) throw new Error(`the service refused the rebuild: ${response.status} ${await response.text()}`);
  console.log(`rebuilding the read models in the service at ${base}`);
  let summary: RebuildSummary | undefined;
  for await (const line of ndjsonLines(response)) {
    if (line.progress) showProgress(line.progress as RebuildProgress);
    if (line.error) throw new Error(String(line.error));
    if (line.done) summary = line.done as RebuildSummary;
  }
  if (!summary) throw new Error('the service ended the rebuild without a summary');
  return summary;
}

async function main(): Promise<void> {
  const config = loadConfig(process.env);
  const target = apiTarget(process.env);
  const viaService = await rebuildThroughService(target);
  if (viaService) return showSummary(viaService);
  console.log(
    `no service answers at ${target.base}; opening ${config.clickhouseUrl ? 'ClickHouse' : `the embedded ClickHouse under ${config.dataDir}`} directly`,
  );
  const ch = await openClickHouse(config);
  try {
    await applySchema(ch, (message) => console.log(message));
    showSummary(await rebuildProjections(ch, showProgress));
  } finally {
    await ch.close();
  }
}

main().catch((error: unknown) => {
  console.error(`rebuild failed: ${error instanceof Error ? error.message : String(error)}`);
  process.exit(1);
});
