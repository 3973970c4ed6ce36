/**
 * The embedded default's API key: generated once into the data directory (readable by its owner
 * only) so that the quick start stays two command lines and the demo, the tools and the tests can
 * find it.
 */
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';

export function apiKeyFile(dataDir: string): string {
  return path.join(dataDir, 'api-key');
}

/** The key in the data directory, created if there is none yet. */
export function ensureGeneratedApiKey(dataDir: string): { key: string; created: boolean } {
  const file = apiKeyFile(dataDir);
  try {
    const key = fs.readFileSync(file, 'utf8').trim();
    if (key.length >= 16) return { key, created: false };
  } catch {
    // none yet
  }
  fs.mkdirSync(dataDir, { recursive: true });
  const key = `ok_${randomBytes(24).toString('base64url')}`;
  fs.writeFileSync(file, `${key}\n`, { mode: 0o600 });
  return { key, created: true };
}

/** The key a command-line tool should send: ORDERS_API_KEY, else the data directory's. */
export function findApiKey(env: Record<string, string | undefined>, dataDir: string): string | undefined {
  if (env.ORDERS_API_KEY) return env.ORDERS_API_KEY;
  try {
    return fs.readFileSync(apiKeyFile(dataDir), 'utf8').trim() || undefined;
  } catch {
    return undefined;
  }
}
