/**
 * bench/floor/ladder.sh measures variants of the service that floor.patch switches on in a scratch
 * copy; a patch that no longer applies to the code would only be found when someone runs it.
 */
import { execFileSync } from 'node:child_process';
import path from 'node:path';
import { projectRoot } from '../../src/paths';

describe('bench/floor/floor.patch', () => {
  it('applies to the code as it is now', () => {
    const root = projectRoot();
    expect(() =>
      execFileSync('git', ['apply', '--check', path.join(root, 'bench', 'floor', 'floor.patch')], { cwd: root, stdio: ['ignore', 'pipe', 'pipe'] }),
    ).not.toThrow();
  });
});
