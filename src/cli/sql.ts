/**
 * `npm run sql -- "SELECT …" [name=value …]`: runs one query against the service's ClickHouse
 * (CLICKHOUSE_URL, or the embedded database under DATA_DIR when no service holds it) and prints
 * the rows. The statement is an analyst's, checked and limited as `POST /analytics/sql` does.
 * Values given as name=value are bound to `{name:Type}` placeholders, never spliced in.
 */
import { stringify } from 'lossless-json';
import { prepareAnalystSql, runAnalystSql } from '../clickhouse/analystSql';
import { openClickHouse } from '../clickhouse/client';
import { loadConfig } from '../config';

async function main(): Promise<void> {
  const [sql, ...bindings] = process.argv.slice(2);
  if (!sql) {
    console.error('usage: npm run sql -- "SELECT status, count() FROM orders.order_events GROUP BY status" [name=value …]');
    process.exit(2);
  }
  const params = Object.fromEntries(
    bindings.map((binding) => {
      const at = binding.indexOf('=');
      if (at < 1) throw new Error(`parameters are name=value, got ${JSON.stringify(binding)}`);
      return [binding.slice(0, at), binding.slice(at + 1)];
    }),
  );
  const config = loadConfig(process.env);
  const ch = await openClickHouse(config);
  try {
    const { rows } = await runAnalystSql(ch, await prepareAnalystSql(ch, sql, params));
    if (rows.length === 0) console.log('(no rows)');
    else console.table(rows.map((row) => JSON.parse(stringify(row) ?? '{}') as Record<string, unknown>));
  } finally {
    await ch.close();
  }
}

main().catch((error: unknown) => {
  console.error(error instanceof Error ? error.message : String(error));
  process.exit(1);
});
