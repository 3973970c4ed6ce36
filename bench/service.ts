/**
 * The service as `npm run bench` runs it: src/bin/run.ts, exactly as `npm start` runs it, with the
 * benchmark's own server beside it on BENCH_PORT (bench/server/routes.ts) and, when BENCH_FLOOR
 * names one, a floor variant plugged into the service's seams (bench/floor/seams.ts). Compiled
 * with bench/tsconfig.json next to the service's own build, and started by bench/run.ts.
 */
import { run } from '../src/bin/run';
import { floorSeams } from './floor/seams';
import { serveBench } from './server/routes';

const port = Number(process.env.BENCH_PORT);
if (!Number.isInteger(port) || port < 1) {
  console.error(`BENCH_PORT must be a port number, got ${JSON.stringify(process.env.BENCH_PORT)}`);
  process.exit(2);
}

void run({ api: true, worker: true }, 'embedded', {
  ...floorSeams(process.env.BENCH_FLOOR, process.env.BENCH_WORKFLOW_BUNDLE),
  beside: async ({ ch, config, log }) => (await serveBench({ ch, log, deliverySlots: config.workerActivitySlots }, port)).stop,
});
