/**
 * The analyst's guide (docs/analytics.md) sets up a user of a ClickHouse server for analysts: its
 * settings profile must hold the limits the service applies to analysts' SQL, and its grants and
 * its list of readable tables the system tables the allow-list lets through, no more and no fewer.
 */
import fs from 'node:fs';
import path from 'node:path';
import { ANALYST_SYSTEM_TABLES } from '../../src/clickhouse/analystAllowList';
import { ANALYST_SETTINGS, settingLiteral } from '../../src/clickhouse/sessionSettings';

const guide = fs.readFileSync(path.join(__dirname, '../../docs/analytics.md'), 'utf8');

/** The statement of the guide's user setup that starts with these words, up to its semicolon. */
function statement(start: string): string {
  const at = guide.indexOf(start);
  if (at < 0) throw new Error(`docs/analytics.md has no statement starting ${start}`);
  return guide.slice(at, guide.indexOf(';', at)).replace(/\s+/g, ' ');
}

const systemTables = (text: string) => [...new Set([...text.matchAll(/system\.(\w+)/g)].map(([, table]) => table))].sort();

describe("the analyst user of the guide's server setup", () => {
  it("has a settings profile with every limit the service applies to analysts' SQL, at the same value", () => {
    const profile = statement('CREATE SETTINGS PROFILE analyst SETTINGS ').replace('CREATE SETTINGS PROFILE analyst SETTINGS ', '');
    const settings = profile.split(', ').map((pair) => pair.split(' = '));
    expect(settings).toEqual(ANALYST_SETTINGS.map(([name, value]) => [name, settingLiteral(value)]));
  });

  it('is granted the system tables the allow-list lets analysts read, and no others', () => {
    expect(systemTables(statement('GRANT SELECT ON system.'))).toEqual([...ANALYST_SYSTEM_TABLES].sort());
  });
});

describe("the guide's account of what a statement may name", () => {
  it('lists the system tables the allow-list lets analysts read, and no others', () => {
    const paragraph = guide.slice(guide.indexOf('What a statement may name'), guide.indexOf('Anything else'));
    expect(systemTables(paragraph)).toEqual([...ANALYST_SYSTEM_TABLES].sort());
  });
});
