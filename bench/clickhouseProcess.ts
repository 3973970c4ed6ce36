/**
 * ClickHouse over HTTP from chDB (test/support/clickhouseHttp.ts) in a process of its own, so that
 * the benchmark on a cluster measures its CPU apart from the load generator's. Serves the data
 * directory given as its argument, prints its address and credentials as one JSON line, and stops
 * on SIGTERM.
 */
import { serveClickHouseOverHttp } from '../test/support/clickhouseHttp';

async function main(): Promise<void> {
  const server = await serveClickHouseOverHttp(process.argv[2]);
  process.stdout.write(`${JSON.stringify({ url: server.url, user: server.user, password: server.password })}\n`);
  const stop = () => void server.close().then(() => process.exit(0));
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
}

main().catch((error: unknown) => {
  console.error(error instanceof Error ? error.message : error);
  process.exit(1);
});
