/** `npm start`: the whole service in one process, with embedded Temporal and ClickHouse by default. */
import { run } from './run';

void run({ api: true, worker: true }, 'embedded');
