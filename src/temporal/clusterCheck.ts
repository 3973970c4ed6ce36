/**
 * What a Temporal server must hold before it can take orders: the namespace, and the search
 * attributes that make orders findable, each of its type. The embedded dev server is started with
 * both; on any other server every role checks them as it starts. Missing search attributes are
 * registered through the operator service when the server allows it. What cannot be done from
 * here (creating the namespace; registering on a server that refuses, such as Temporal Cloud or a
 * key without admin rights) is reported with the exact commands an operator runs, by `/readyz`
 * and by every command, as 503 UNAVAILABLE.
 */
import { status as GrpcStatus } from '@grpc/grpc-js';
import { Connection, isGrpcServiceError, NamespaceNotFoundError, WorkflowClientInterceptor } from '@temporalio/client';
import { encodeSearchAttributeIndexedValueType } from '@temporalio/common/lib/search-attributes';
import { DomainError } from '../domain/errors';
import type { Logger } from '../logger';
import type { TemporalConnectionOptions } from './connectionOptions';
import { ORDER_SEARCH_ATTRIBUTES } from './searchAttributes';

/** Where the operator's commands must point. */
export interface ClusterTarget {
  address: string;
  namespace: string;
  /** The connection needs credentials (TLS, an API key, headers), and so do the commands. */
  secured: boolean;
}

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

type TemporalServices = Pick<Connection, 'workflowService' | 'operatorService' | 'withDeadline'>;

export function clusterTarget(connection: TemporalConnectionOptions, namespace: string): ClusterTarget {
  return { address: connection.address, namespace, secured: Boolean(connection.tls || connection.apiKey || connection.metadata) };
}

/** Each call to the server is bounded, so that a check never holds up a readiness probe for long. */
const CALL_MS = 5000;
/** How often a server that is not ready is looked at again. */
const RECHECK_MS = 2000;
const READY: ClusterState = { ready: true };

type OrderAttribute = (typeof ORDER_SEARCH_ATTRIBUTES)[number];

/** The type's name as the `temporal` CLI spells it: Keyword, Double. */
const typeName = (attribute: OrderAttribute) => attribute.type.charAt(0) + attribute.type.slice(1).toLowerCase();
const indexedType = (attribute: OrderAttribute) => encodeSearchAttributeIndexedValueType(attribute.type);

/** The gRPC status code of an error or of any error it wraps. */
function grpcCode(error: unknown): number | undefined {
  for (let current = error, depth = 0; current && depth < 5; depth += 1) {
    if (isGrpcServiceError(current)) return current.code;
    current = (current as { cause?: unknown }).cause;
  }
  return undefined;
}

const messageOf = (error: unknown) => (error instanceof Error ? error.message : String(error)).replace(/^\d+ [A-Z_]+: /, '');

/** The messages of an error and of every error it wraps. */
function messagesOf(error: unknown): string {
  const messages: string[] = [];
  for (let current = error, depth = 0; current && depth < 5; depth += 1) {
    messages.push(messageOf(current));
    current = (current as { cause?: unknown }).cause;
  }
  return messages.join(': ');
}

/** The server did not answer: nothing can be said about its namespace, so the caller is told so. */
function isUnreachable(error: unknown): boolean {
  const code = grpcCode(error);
  return code === GrpcStatus.UNAVAILABLE || code === GrpcStatus.DEADLINE_EXCEEDED || code === GrpcStatus.CANCELLED;
}

function commandsFor(
  target: ClusterTarget,
  what: { namespace?: boolean; attributes?: readonly OrderAttribute[]; remove?: readonly OrderAttribute[] },
): string[] {
  const at = `--address ${target.address} --namespace ${target.namespace}`;
  const commands: string[] = [];
  if (what.namespace) commands.push(`temporal operator namespace create ${at}`);
  if (what.remove?.length) commands.push(`temporal operator search-attribute remove ${at} ${what.remove.map((a) => `--name ${a.name}`).join(' ')} --yes`);
  if (what.attributes?.length)
    commands.push(`temporal operator search-attribute create ${at} ${what.attributes.map((a) => `--name ${a.name} --type ${typeName(a)}`).join(' ')}`);
  return commands;
}

/** A state only an operator can change, with the commands to run. */
function operatorMustRun(
  target: ClusterTarget,
  needs: 'namespace' | 'searchAttributes',
  problem: string,
  what: Parameters<typeof commandsFor>[1],
): ClusterState {
  // This service's own credentials are not enough where the server refused them.
  const credentials = target.secured ? ' (run as an administrator of the namespace: add --api-key, or --tls-cert-path and --tls-key-path)' : '';
  return { ready: false, needs, problem: `${problem}${credentials}`, commands: commandsFor(target, what) };
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

/** The namespace's custom search attributes and their types; undefined when the server will not list them. */
async function registeredAttributes(services: TemporalServices, namespace: string): Promise<Map<string, number> | string> {
  try {
    const listed = await services.withDeadline(Date.now() + CALL_MS, () => services.operatorService.listSearchAttributes({ namespace }));
    return new Map(Object.entries(listed.customAttributes ?? {}).map(([name, type]) => [name, Number(type)]));
  } catch (error) {
    if (isUnreachable(error)) throw error;
    return messageOf(error);
  }
}

/** Registers search attributes; the server's refusal, if it refuses. */
async function register(services: TemporalServices, namespace: string, attributes: readonly OrderAttribute[]): Promise<string | undefined> {
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

const names = (attributes: readonly OrderAttribute[]) => attributes.map((attribute) => attribute.name).join(', ');

/**
 * Looks at the namespace and the order search attributes, and registers those missing when the
 * server allows it. Throws only when the server cannot be reached.
 */
export async function prepareCluster(services: TemporalServices, target: ClusterTarget): Promise<ClusterState> {
  const served = await attributesServed(services, target.namespace);
  if (served === true) return READY;
  if (served.denied) {
    return {
      ready: false,
      needs: 'access',
      problem: `${target.address} refuses this service's credentials for the namespace "${target.namespace}" (${served.message}); give them the right to write to it`,
      commands: [],
    };
  }
  if (!(await namespaceExists(services, target.namespace))) {
    return operatorMustRun(target, 'namespace', `the namespace "${target.namespace}" does not exist on ${target.address}`, {
      namespace: true,
      attributes: ORDER_SEARCH_ATTRIBUTES,
    });
  }
  let registered = await registeredAttributes(services, target.namespace);
  if (typeof registered === 'string') {
    return operatorMustRun(
      target,
      'searchAttributes',
      `the server does not serve the order search attributes (${served.message}) and would not list them (${registered})`,
      { attributes: ORDER_SEARCH_ATTRIBUTES },
    );
  }
  const known = registered;
  const mistyped = ORDER_SEARCH_ATTRIBUTES.filter((attribute) => known.has(attribute.name) && known.get(attribute.name) !== indexedType(attribute));
  if (mistyped.length > 0) {
    const needed = mistyped.map((a) => `${a.name}: ${typeName(a)}`).join(', ');
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
  const missing = ORDER_SEARCH_ATTRIBUTES.filter((attribute) => !known.has(attribute.name));
  if (missing.length > 0) {
    const refusal = await register(services, target.namespace, missing);
    // Another process of this service may have registered them at the same moment.
    if (refusal !== undefined) registered = await registeredAttributes(services, target.namespace);
    const stillMissing = typeof registered === 'string' ? missing : missing.filter((attribute) => !(registered as Map<string, number>).has(attribute.name));
    if (refusal !== undefined && stillMissing.length > 0) {
      return operatorMustRun(
        target,
        'searchAttributes',
        `the search attributes ${names(stillMissing)} are missing from the namespace "${target.namespace}", and the server refused to register them (${refusal})`,
        { attributes: stillMissing },
      );
    }
  }
  return {
    ready: false,
    needs: 'time',
    problem: `the namespace and the search attributes ${names(ORDER_SEARCH_ATTRIBUTES)} are registered, but the server does not serve them yet (${served.message}); its namespace cache catches up within about 10 s`,
    commands: [],
  };
}

/** One line for a person: the problem, then what to run. */
export function describeState(state: ClusterState): string {
  if (state.ready) return 'ok';
  if (state.commands.length > 0) return `${state.problem}; run: ${state.commands.join(' && ')}`;
  return state.needs === 'time' ? `${state.problem}; retry shortly` : state.problem;
}

/**
 * For a worker: it cannot poll a namespace that does not exist or that it may not use, so it
 * refuses to start and says why. Search attributes it does not need itself: it says what is
 * missing and starts.
 */
export async function checkClusterForWorker(options: TemporalConnectionOptions, namespace: string, log: Logger): Promise<void> {
  const connection = await Connection.connect(options);
  let state: ClusterState;
  try {
    state = await prepareCluster(connection, clusterTarget(options, namespace));
  } finally {
    await connection.close();
  }
  if (state.ready) return;
  if (state.needs === 'namespace' || state.needs === 'access') throw new Error(`Temporal is not ready for orders: ${describeState(state)}`);
  if (state.needs === 'time') log.info({ temporalSetup: describeState(state) }, 'Temporal is catching up with the namespace');
  else log.warn({ temporalSetup: describeState(state) }, 'Temporal is not ready for orders; commands will answer 503 until it is');
}

/**
 * For the API: the cluster's state behind readiness and every command. Once ready it is not asked
 * again, unless the server refuses a command in a way only a missing namespace or search attribute
 * explains; while not ready it is looked at again at most every RECHECK_MS.
 */
export class ClusterCheck {
  private known: ClusterState | undefined;
  private checkedAt = 0;
  private running: Promise<ClusterState> | undefined;

  constructor(
    private readonly services: TemporalServices,
    private readonly target: ClusterTarget,
    private readonly log: Logger,
  ) {}

  /** The current state; throws when the server cannot be reached. */
  async state(): Promise<ClusterState> {
    if (this.known && (this.known.ready || Date.now() - this.checkedAt < RECHECK_MS)) return this.known;
    this.running ??= prepareCluster(this.services, this.target)
      .then((state) => this.record(state))
      .finally(() => (this.running = undefined));
    return this.running;
  }

  /** The readiness line: `ok`, or what is missing and what to run. */
  async readiness(): Promise<string> {
    try {
      return describeState(await this.state());
    } catch (error) {
      return `not checked: ${messageOf(error)}`;
    }
  }

  /**
   * Gates every call that starts or changes an order: while the cluster is not ready it answers
   * 503 UNAVAILABLE with the reason and the commands, instead of letting Temporal refuse it.
   */
  interceptor(): WorkflowClientInterceptor {
    const gated = async <T>(call: () => Promise<T>): Promise<T> => {
      await this.requireReady();
      try {
        return await call();
      } catch (error) {
        if (!(error instanceof NamespaceNotFoundError || grpcCode(error) === GrpcStatus.INVALID_ARGUMENT)) throw error;
        // The namespace or a search attribute may be gone since the last check: look again.
        this.known = undefined;
        await this.requireReady();
        // Each of the server's processes refreshes its namespace cache on its own, so one may not
        // know yet what the check was shown by another.
        if (error instanceof NamespaceNotFoundError || /search attribute/i.test(messagesOf(error)))
          throw new DomainError(
            'UNAVAILABLE',
            `Temporal does not serve the namespace or its search attributes everywhere yet (${messageOf(error)}); retry shortly`,
          );
        throw error;
      }
    };
    return {
      startWithDetails: (input, next) => gated(() => next(input)),
      signalWithStart: (input, next) => gated(() => next(input)),
      startUpdateWithStart: (input, next) => gated(() => next(input)),
      startUpdate: (input, next) => gated(() => next(input)),
      signal: (input, next) => gated(() => next(input)),
    };
  }

  /** Throws 503 UNAVAILABLE while the cluster is known not to be ready; an unreachable server is left to the call itself. */
  private async requireReady(): Promise<void> {
    const state = await this.state().catch(() => READY);
    if (!state.ready) throw new DomainError('UNAVAILABLE', `Temporal is not ready for orders: ${describeState(state)}`);
  }

  private record(state: ClusterState): ClusterState {
    const changed = describeState(state) !== (this.known && describeState(this.known));
    this.known = state;
    this.checkedAt = Date.now();
    if (changed && state.ready) this.log.info(`Temporal namespace ${this.target.namespace} is ready for orders`);
    else if (changed && !state.ready) this.log.warn({ temporalSetup: describeState(state) }, 'Temporal is not ready for orders');
    return state;
  }
}
