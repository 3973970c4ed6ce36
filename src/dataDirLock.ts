/**
 * One service per data directory. A second `npm start` on the same DATA_DIR would otherwise take
 * the first one's dev server for a leftover of a crash and stop it.
 */
import fs from 'node:fs';
import path from 'node:path';

function runningNode(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch {
    return false;
  }
  try {
    return /node/.test(fs.readFileSync(`/proc/${pid}/cmdline`, 'utf8'));
  } catch {
    return true;
  }
}

/** Claims the data directory for this process; returns the release. Throws if a live service holds it. */
export function lockDataDir(dataDir: string): () => void {
  fs.mkdirSync(dataDir, { recursive: true });
  const file = path.join(dataDir, 'service.pid');
  let holder: number | undefined;
  try {
    holder = Number(fs.readFileSync(file, 'utf8').trim());
  } catch {
    holder = undefined;
  }
  if (holder && holder !== process.pid && runningNode(holder)) {
    throw new Error(`another instance of the service (pid ${holder}) is running on ${dataDir}; stop it first, or give this one its own DATA_DIR`);
  }
  fs.writeFileSync(file, String(process.pid));
  return () => {
    try {
      if (Number(fs.readFileSync(file, 'utf8').trim()) === process.pid) fs.unlinkSync(file);
    } catch {
      // already gone
    }
  };
}
