/**
 * Runs once before the suite: makes sure a Temporal CLI is available (installing the pinned one
 * into .tools/ if needed, exactly as `npm start` would), so test files only look it up.
 */
import { locateTemporalBinary } from '../../src/temporal/temporalBinary';
import { toolsDir } from '../../src/paths';

export default async function globalSetup(): Promise<void> {
  const binary = locateTemporalBinary({
    cliPath: process.env.TEMPORAL_CLI_PATH,
    pathVariable: process.env.PATH,
    toolsDir: toolsDir(),
    allowSdkDownload: false,
    say: (message) => process.stderr.write(`[setup] ${message}\n`),
  });
  if (binary.kind === 'path') process.env.TEMPORAL_CLI_PATH = binary.path;
}
