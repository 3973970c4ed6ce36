import fs from 'node:fs';
import path from 'node:path';

/** The folder holding package.json, whether running from `src/` under tsx/jest or from `dist/`. */
export function projectRoot(from: string = __dirname): string {
  let dir = from;
  while (!fs.existsSync(path.join(dir, 'package.json'))) {
    const parent = path.dirname(dir);
    if (parent === dir) throw new Error(`no package.json above ${from}`);
    dir = parent;
  }
  return dir;
}

/** Git-ignored folder for tools the project installs for itself (the Temporal CLI). */
export function toolsDir(): string {
  return path.join(projectRoot(), '.tools');
}
