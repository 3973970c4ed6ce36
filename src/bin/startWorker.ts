/** `npm run start:worker`: the order worker alone, for the scaled-out mode. */
import { run } from './run';

void run({ api: false, worker: true }, 'scaled-out');
