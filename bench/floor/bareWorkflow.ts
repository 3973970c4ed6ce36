/**
 * The bare floor variant's order workflow (seams.ts): built from the same entity as
 * workflows/order.ts, with the same messages, rules and answers, but without an outbox: its answers
 * carry no events, so the API appends nothing and sends no receipt, and nothing is delivered.
 */
import { allHandlersFinished, condition, setHandler } from '@temporalio/workflow';
import { DomainError } from '../../src/domain/errors';
import type { OrderCommand } from '../../src/domain/order';
import * as messages from '../../workflows/messages';
import { asFailure, OrderEntity } from '../../workflows/orderEntity';
import { Outbox } from '../../workflows/outbox';
import { showDetails } from '../../workflows/visibility';

export async function orderWorkflow(input: messages.OrderWorkflowInput): Promise<messages.OrderWorkflowResult> {
  const order = new OrderEntity(input);
  const apply = (command: OrderCommand) => {
    const { answer } = order.apply(command);
    showDetails(order, new Outbox());
    return { ...answer, eventsToAppend: [] };
  };
  const update = async (command: OrderCommand, _receipt?: messages.AppendReceipt) => {
    try {
      return apply(command);
    } catch (error) {
      throw asFailure(error);
    }
  };
  const validate = (command: OrderCommand, _receipt?: messages.AppendReceipt) => {
    try {
      order.validate(command);
    } catch (error) {
      throw asFailure(error);
    }
  };
  const signal = (command: OrderCommand) => {
    try {
      apply(command);
    } catch (error) {
      if (error instanceof DomainError) order.reject(command, error);
      else throw error;
    }
  };
  setHandler(messages.createOrderUpdate, update, { validator: validate });
  setHandler(messages.changeOrderStatusUpdate, update, { validator: validate });
  setHandler(messages.cancelOrderUpdate, update, { validator: validate });
  setHandler(messages.createOrderSignal, signal);
  setHandler(messages.changeOrderStatusSignal, signal);
  setHandler(messages.cancelOrderSignal, signal);
  setHandler(messages.getOrderQuery, () => order.state ?? null);
  setHandler(messages.getCommandOutcomeQuery, (commandId) => order.outcomeOf(commandId) ?? null);
  await condition(() => order.isTerminal);
  await condition(allHandlersFinished);
  return order.result();
}
