/**
 * What each role does with the state of its Temporal server (./clusterCheck.ts): a worker refuses
 * to start where it cannot poll; the API answers readiness with it and holds back every call that
 * starts or changes an order while the server is not ready, answering 503 UNAVAILABLE with the
 * reason and the commands instead of letting Temporal refuse the call.
 */
import { status as GrpcStatus } from '@grpc/grpc-js';
import { Connection, NamespaceNotFoundError, WorkflowClientInterceptor } from '@temporalio/client';
import { DomainError } from '../domain/errors';
import type { Logger } from '../logger';
import { ClusterState, describeState, prepareCluster, READY, TemporalServices } from './clusterCheck';
import type { TemporalConnectionOptions } from './connectionOptions';
import { grpcCode, messageOf, messagesOf } from './grpcErrors';
import { ClusterTarget, clusterTarget } from './operatorCommands';

/** How often a server that is not ready is looked at again. */
const RECHECK_MS = 2000;

/**
 * For a worker: it cannot poll a namespace that does not exist or that it may not use, so it
 * refuses to start and says why. Search attributes it does not need itself: it says what is
 * missing and starts.
 */
export async function checkClusterForWorker(options: TemporalConnectionOptions, namespace: string, log: Logger): Promise<void> {
  const connection = await Connection.connect(options);
  const state = await prepareCluster(connection, clusterTarget(options, namespace)).finally(() => connection.close());
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
export class ClusterGate {
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

  /** Gates every call that starts or changes an order. */
  interceptor(): WorkflowClientInterceptor {
    const gated = <T>(call: () => Promise<T>) => this.gated(call);
    return {
      startWithDetails: (input, next) => gated(() => next(input)),
      signalWithStart: (input, next) => gated(() => next(input)),
      startUpdateWithStart: (input, next) => gated(() => next(input)),
      startUpdate: (input, next) => gated(() => next(input)),
      signal: (input, next) => gated(() => next(input)),
    };
  }

  private async gated<T>(call: () => Promise<T>): Promise<T> {
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
