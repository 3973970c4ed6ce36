/**
 * The last step of `npm run build`: bundles the compiled workflows into dist/workflow-bundle.js,
 * which a compiled worker loads instead of running webpack as it starts (seconds, and about
 * 60 MiB that would stay with every worker process).
 */
import fs from 'node:fs';
import { builtBundlePath, bundleWorkflows, workflowsPath } from '../temporal/worker';

async function main(): Promise<void> {
  const source = workflowsPath();
  if (!source.endsWith('.js')) throw new Error(`run this compiled (node dist/src/bin/bundleWorkflows.js), not from ${source}`);
  const { code } = await bundleWorkflows(source);
  const target = builtBundlePath(source);
  // Written whole, then renamed: a worker starting meanwhile sees the old bundle or the new one.
  // Quiet on success, as tsc is: `npm start` prints only the service's own lines.
  fs.writeFileSync(`${target}.tmp`, code);
  fs.renameSync(`${target}.tmp`, target);
}

main().catch((error: unknown) => {
  console.error(error instanceof Error ? error.message : error);
  process.exit(1);
});
