/**
 * Faults the reliability tests inject, from outside the service: wrappers of the parts it is
 * assembled from (src/service.ts, `Seams`), never switches in its own code.
 */
import type { ClickHouseClient } from '@clickhouse/client';
import type { ClickHouse } from '../../src/clickhouse/client';

/**
 * ClickHouse as an unreachable server leaves it for writers: while `failing()` answers true, every
 * insert fails (reads still work, as they would from a replica that is up).
 */
export function refuseWritesWhile(failing: () => boolean): (ch: ClickHouse) => ClickHouse {
  return (ch) => {
    const client = Object.create(ch.client) as ClickHouseClient;
    client.insert = (params) => (failing() ? Promise.reject(new Error('injected fault: ClickHouse refuses writes')) : ch.client.insert(params));
    return { ...ch, client };
  };
}
