/** `npm run start:api`: the HTTP API alone, for the scaled-out mode. */
import { run } from './run';

void run({ api: true, worker: false }, 'scaled-out');
