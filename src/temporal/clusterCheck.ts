/**
 * What a Temporal server must hold before it can take orders: the namespace, and the search
 * attributes that make orders findable, each of its type. The embedded dev server is started with
 * both; on any other server every role checks them as it starts (./clusterGate.ts). Missing search
 * attributes are registered through the operator service when the server allows it. What cannot be
 * done from here (creating the namespace; registering on a server that refuses, such as Temporal
 * Cloud or a key without admin rights) is said with the commands an operator runs
 * (./operatorCommands.ts).
 */
import { status as GrpcStatus } from '@grpc/grpc-js';
import type { Connection } from '@temporalio/client';
import { encodeSearchAttributeIndexedValueType } from '@temporalio/common/lib/search-attributes';
import { grpcCode, isUnreachable, messageOf } from './grpcErrors';
import { asAdministrator, ClusterTarget, operatorCommands, OperatorWork } from './operatorCommands';
import { cliTypeName, ORDER_SEARCH_ATTRIBUTES, OrderSearchAttribute } from './searchAttributes';

export type ClusterState =
  | { ready: true }
  | {
      ready: false;
      /**
       * What is missing: the namespace, search attributes, the right to use the namespace, or only
       * time for the server's caches to catch up.
       */
      needs: 'namespace' | 'searchAttributes' | 'access' | 'time';
      problem: string;
      /** Commands an operator runs; none when waiting is enough. */
      commands: string[];
    };

export type TemporalServices = Pick<Connection, 'workflowService' | 'operatorService' | 'withDeadline'>;

/** Each call to the server is bounded, so that a check never holds up a readiness probe for long. */
const CALL_MS = 5000;
export const READY: ClusterState = { ready: true };

/** The namespace's custom search attributes, by name, with the server's code of their type. */
type Registered = Map<string, number>;

const indexedType = (attribute: OrderSearchAttribute) => encodeSearchAttributeIndexedValueType(attribute.type);
const names = (attributes: readonly OrderSearchAttribute[]) => attributes.map((attribute) => attribute.name).join(', ');

/**
 * Looks at the namespace and the order search attributes, and registers those missing when the
 * server allows it. Throws only when the server cannot be reached.
 */
export async function prepareCluster(services: TemporalServices, target: ClusterTarget): Promise<ClusterState> {
  const served = await attributesServed(services, target.namespace);
  if (served === true) return READY;
  if (served.denied) return accessDenied(target, served.message);
  if (!(await namespaceExists(services, target.namespace))) return namespaceMissing(target);
  const registered = await registeredAttributes(services, target.namespace);
  if (typeof registered === 'string') return attributesUnlisted(target, served.message, registered);
  const mistyped = ORDER_SEARCH_ATTRIBUTES.filter((attribute) => registered.has(attribute.name) && registered.get(attribute.name) !== indexedType(attribute));
  if (mistyped.length > 0) return attributesMistyped(target, mistyped);
  return (await registerMissing(services, target, registered)) ?? catchingUp(served.message);
}

/** One line for a person: the problem, then what to run. */
export function describeState(state: ClusterState): string {
  if (state.ready) return 'ok';
  if (state.commands.length > 0) return `${state.problem}; run: ${state.commands.join(' && ')}`;
  return state.needs === 'time' ? `${state.problem}; retry shortly` : state.problem;
}

/**
 * One query that needs the namespace and every order search attribute, through the same caches a
 * new order goes through: it succeeds exactly when orders can start. It matches no order (an
 * order's customer id is never empty), so it is cheap however many there are.
 */
async function attributesServed(services: TemporalServices, namespace: string): Promise<true | { denied: boolean; message: string }> {
  const query = `CustomerId = '' AND OrderStatus = '' AND OrderTotal = 0`;
  try {
    await services.withDeadline(Date.now() + CALL_MS, () => services.workflowService.countWorkflowExecutions({ namespace, query }));
    return true;
  } catch (error) {
    if (isUnreachable(error)) throw error;
    const code = grpcCode(error);
    return { denied: code === GrpcStatus.PERMISSION_DENIED || code === GrpcStatus.UNAUTHENTICATED, message: messageOf(error) };
  }
}

async function namespaceExists(services: TemporalServices, namespace: string): Promise<boolean> {
  try {
    await services.withDeadline(Date.now() + CALL_MS, () => services.workflowService.describeNamespace({ namespace }));
    return true;
  } catch (error) {
    if (grpcCode(error) === GrpcStatus.NOT_FOUND) return false;
    throw error;
  }
}

/** The namespace's custom search attributes; the server's refusal when it will not list them. */
async function registeredAttributes(services: TemporalServices, namespace: string): Promise<Registered | string> {
  try {
    const listed = await services.withDeadline(Date.now() + CALL_MS, () => services.operatorService.listSearchAttributes({ namespace }));
    return new Map(Object.entries(listed.customAttributes ?? {}).map(([name, type]) => [name, Number(type)]));
  } catch (error) {
    if (isUnreachable(error)) throw error;
    return messageOf(error);
  }
}

/** Registers search attributes; the server's refusal, if it refuses. */
async function register(services: TemporalServices, namespace: string, attributes: readonly OrderSearchAttribute[]): Promise<string | undefined> {
  try {
    await services.withDeadline(Date.now() + CALL_MS, () =>
      services.operatorService.addSearchAttributes({
        namespace,
        searchAttributes: Object.fromEntries(attributes.map((attribute) => [attribute.name, indexedType(attribute)!])),
      }),
    );
    return undefined;
  } catch (error) {
    if (isUnreachable(error)) throw error;
    return messageOf(error);
  }
}

/**
 * Registers the order search attributes the namespace lacks. What to tell an operator when the
 * server refused and they are still missing; undefined when none are.
 */
async function registerMissing(services: TemporalServices, target: ClusterTarget, registered: Registered): Promise<ClusterState | undefined> {
  const missing = ORDER_SEARCH_ATTRIBUTES.filter((attribute) => !registered.has(attribute.name));
  if (missing.length === 0) return undefined;
  const refusal = await register(services, target.namespace, missing);
  if (refusal === undefined) return undefined;
  // Another process of this service may have registered them at the same moment.
  const now = await registeredAttributes(services, target.namespace);
  const stillMissing = typeof now === 'string' ? missing : missing.filter((attribute) => !now.has(attribute.name));
  if (stillMissing.length === 0) return undefined;
  return operatorMustRun(
    target,
    'searchAttributes',
    `the search attributes ${names(stillMissing)} are missing from the namespace "${target.namespace}", and the server refused to register them (${refusal})`,
    { attributes: stillMissing },
  );
}

/** A state only an operator can change, with the commands to run. */
function operatorMustRun(target: ClusterTarget, needs: 'namespace' | 'searchAttributes', problem: string, work: OperatorWork): ClusterState {
  return { ready: false, needs, problem: `${problem}${asAdministrator(target)}`, commands: operatorCommands(target, work) };
}

function accessDenied(target: ClusterTarget, message: string): ClusterState {
  return {
    ready: false,
    needs: 'access',
    problem: `${target.address} refuses this service's credentials for the namespace "${target.namespace}" (${message}); give them the right to write to it`,
    commands: [],
  };
}

function namespaceMissing(target: ClusterTarget): ClusterState {
  return operatorMustRun(target, 'namespace', `the namespace "${target.namespace}" does not exist on ${target.address}`, {
    namespace: true,
    attributes: ORDER_SEARCH_ATTRIBUTES,
  });
}

function attributesUnlisted(target: ClusterTarget, unserved: string, unlisted: string): ClusterState {
  return operatorMustRun(
    target,
    'searchAttributes',
    `the server does not serve the order search attributes (${unserved}) and would not list them (${unlisted})`,
    {
      attributes: ORDER_SEARCH_ATTRIBUTES,
    },
  );
}

function attributesMistyped(target: ClusterTarget, mistyped: readonly OrderSearchAttribute[]): ClusterState {
  const needed = mistyped.map((attribute) => `${attribute.name}: ${cliTypeName(attribute)}`).join(', ');
  return operatorMustRun(
    target,
    'searchAttributes',
    `the search attributes ${names(mistyped)} are registered with another type than the orders need (${needed})`,
    {
      remove: mistyped,
      attributes: mistyped,
    },
  );
}

function catchingUp(unserved: string): ClusterState {
  return {
    ready: false,
    needs: 'time',
    problem: `the namespace and the search attributes ${names(ORDER_SEARCH_ATTRIBUTES)} are registered, but the server does not serve them yet (${unserved}); its namespace cache catches up within about 10 s`,
    commands: [],
  };
}
