/** The API's append as the service wires it (src/composition/apiRole.ts), into any EventLogWriter. */
import type { EventLogWriter } from '../../src/clickhouse/eventLog';
import type { AnswerLog } from '../../src/temporal/orderGateway';

export function appendingTo(writer: EventLogWriter): AnswerLog {
  return {
    announce: () => writer.announce(),
    append: (events) =>
      writer.append(events).then(
        () => true,
        () => false,
      ),
  };
}
