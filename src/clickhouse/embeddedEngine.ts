/**
 * The embedded ClickHouse (chDB) as this service runs it. chDB is clickhouse-local inside this
 * process, whose one user may by default read any file, URL or other server. The engine is opened
 * with a configuration of the service's own (`<DATA_DIR>/clickhouse-engine/`): its user holds the
 * rights the service's statements need on the database and none of the "sources" (files, URLs,
 * other servers and databases), and its scripts folder is an empty one. What chDB 3.4 leaves open
 * whatever the configuration (the scalar `file()` and `INTO OUTFILE`, which clickhouse-local does
 * not confine) only the check of analysts' statements refuses (docs/decisions/0010).
 */
import fs from 'node:fs';
import path from 'node:path';
import type { Session } from 'chdb';
import { SessionSettings, settingLiteral } from './sessionSettings';

export function embeddedClickHousePath(dataDir: string): string {
  return path.join(dataDir, 'clickhouse');
}

/** The rights of the engine's one user: what the schema, the event log and rebuilds use, and no source. */
const ENGINE_GRANTS = 'GRANT SHOW, SELECT, INSERT, ALTER, CREATE, DROP, TRUNCATE, OPTIMIZE, KILL QUERY ON *.*';

function xmlText(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

/** Writes the engine's configuration under the data directory; the arguments that open the engine with it. */
function prepareEngine(dataDir: string): { dir: string; scripts: string; args: string[] } {
  const dir = path.join(dataDir, 'clickhouse-engine');
  const scripts = path.join(dir, 'user_scripts');
  fs.mkdirSync(scripts, { recursive: true });
  const users = path.join(dir, 'users.xml');
  fs.writeFileSync(
    users,
    `<clickhouse>
  <profiles><default/></profiles>
  <quotas><default/></quotas>
  <users>
    <default>
      <no_password/>
      <networks><ip>::1</ip><ip>127.0.0.1</ip></networks>
      <profile>default</profile>
      <quota>default</quota>
      <grants><query>${ENGINE_GRANTS}</query></grants>
    </default>
  </users>
</clickhouse>
`,
  );
  const config = path.join(dir, 'config.xml');
  fs.writeFileSync(
    config,
    `<clickhouse>
  <users_config>${xmlText(users)}</users_config>
  <user_scripts_path>${xmlText(scripts)}/</user_scripts_path>
</clickhouse>
`,
  );
  return { dir, scripts, args: [`--config-file=${config}`] };
}

export interface EmbeddedEngine {
  /** A session with `settings` applied, its current database `database` when given. */
  openSession(settings: SessionSettings, database?: string): Promise<Session>;
  /** A session with no settings, for `KILL QUERY`: stopping a statement never waits for a free session. */
  control: Session;
  /** Closes the control session and waits until the engine has finished every statement, given up ones included. */
  close(): Promise<void>;
}

/** Opens the engine on `<dataDir>/clickhouse` with the service's configuration, and checks that it took. */
export async function openEmbeddedEngine(dataDir: string): Promise<EmbeddedEngine> {
  // Loaded lazily: the chDB engine is a 500 MB native library that a server-mode process never needs.
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const chdb = require('chdb') as typeof import('chdb');
  const data = embeddedClickHousePath(dataDir);
  fs.mkdirSync(data, { recursive: true });
  const engine = prepareEngine(dataDir);
  const connect = () => {
    try {
      return new chdb.Session(data, { connectionArgs: engine.args });
    } catch (error) {
      const message = error instanceof Error ? error.message : String(error);
      if (/lock/i.test(message)) {
        throw new Error(`the embedded ClickHouse data in ${data} is held by another process (is the service already running?): ${message}`, { cause: error });
      }
      throw error;
    }
  };
  const openSession = async (settings: SessionSettings, database?: string) => {
    const session = connect();
    try {
      if (database) await session.queryAsync(`USE ${database}`);
      for (const [name, value] of settings) await session.queryAsync(`SET ${name} = ${settingLiteral(value)}`);
      return session;
    } catch (error) {
      session.close();
      throw error;
    }
  };
  const control = await openSession([]);
  const close = async () => {
    control.close();
    await chdb.drainPending();
  };
  const scripts = (await control.queryAsync("SELECT getServerSetting('user_scripts_path')", { format: 'TSVRaw' })).text().trim();
  if (path.resolve(scripts) !== path.resolve(engine.scripts)) {
    await close();
    // chDB reads its configuration once per process, when the first session opens.
    throw new Error(
      `the embedded ClickHouse in this process was opened without the service's configuration (${engine.dir}); open it only through openClickHouse`,
    );
  }
  return { openSession, control, close };
}
