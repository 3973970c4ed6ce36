import type { ClickHouse } from './client';
import { ddlFor, MIGRATIONS } from './migrations';

/** Applies every migration not yet recorded, in order. Safe to run twice, or from two processes. */
export async function applySchema(ch: ClickHouse, onProgress: (message: string) => void = () => {}): Promise<number[]> {
  const { client, database: db } = ch;
  const ddl = ddlFor(db, ch.cluster);
  for (const statement of bootstrapStatements(db, ch.cluster)) await client.command({ query: statement });
  const applied = new Set(await appliedVersions(ch));
  const newlyApplied: number[] = [];
  for (const migration of MIGRATIONS) {
    if (applied.has(migration.version)) continue;
    onProgress(`applying schema migration ${migration.version} (${migration.name})`);
    for (const statement of migration.statements(ddl)) await client.command({ query: statement });
    await client.insert({
      table: `${db}.schema_migrations`,
      values: [{ version: migration.version, name: migration.name }],
      format: 'JSONEachRow',
    });
    newlyApplied.push(migration.version);
  }
  return newlyApplied;
}

/** The database and the table that records migrations, before any migration runs. */
export function bootstrapStatements(db: string, cluster?: string): string[] {
  const { onCluster, engine } = ddlFor(db, cluster);
  return [
    `CREATE DATABASE IF NOT EXISTS ${db}${onCluster}`,
    `CREATE TABLE IF NOT EXISTS ${db}.schema_migrations${onCluster}
      (version UInt32, name String, applied_at DateTime64(3, 'UTC') DEFAULT now64(3))
      ENGINE = ${engine('ReplacingMergeTree')} ORDER BY version`,
  ];
}

export async function appliedVersions(ch: ClickHouse): Promise<number[]> {
  const result = await ch.client.query({
    query: `SELECT DISTINCT version FROM ${ch.database}.schema_migrations ORDER BY version`,
    format: 'JSONEachRow',
  });
  const rows = await result.json<{ version: number }>();
  return rows.map((row) => Number(row.version));
}

/** True when every known migration has been applied (part of readiness). */
export async function schemaIsCurrent(ch: ClickHouse): Promise<boolean> {
  const versions = new Set(await appliedVersions(ch));
  return MIGRATIONS.every((migration) => versions.has(migration.version));
}
