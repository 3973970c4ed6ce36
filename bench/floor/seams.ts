/**
 * The floor: what the ratio of (a) would be if the service did less (bench/README.md). Each variant
 * is the service as shipped with one of its parts replaced through its seams, nothing patched:
 * - no-append: the API takes each command's events and writes nothing to ClickHouse (receipts,
 *   fallback timers and deliveries as shipped);
 * - bare: no event leaves the workflow (bareWorkflow.ts): no append, no receipt, no fallback
 *   timer, no delivery; the same HTTP API, validation, state machine and answers.
 */
import type { Seams } from '../../src/service';

export const FLOORS = ['no-append', 'bare'] as const;
export type Floor = (typeof FLOORS)[number];

export function isFloor(name: string): name is Floor {
  return (FLOORS as readonly string[]).includes(name);
}

/** The seams of a floor variant (none for the service as shipped). `bareBundle`: the bare workflow, bundled. */
export function floorSeams(floor: string | undefined, bareBundle: string | undefined): Seams {
  if (!floor) return {};
  if (floor === 'no-append') return { answerLog: () => ({ announce: () => () => {}, append: async () => true }) };
  if (floor === 'bare' && bareBundle) return { workflowBundle: { codePath: bareBundle } };
  throw new Error(`BENCH_FLOOR: ${floor} is not a floor variant (${FLOORS.join(', ')}), or bare without BENCH_WORKFLOW_BUNDLE`);
}
