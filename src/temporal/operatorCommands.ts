/**
 * The `temporal` commands an operator runs to set a server up for orders, where this service may
 * not do it itself: exact, with the server and namespace the service uses, ready to paste.
 */
import type { TemporalConnectionOptions } from './connectionOptions';
import { cliTypeName, OrderSearchAttribute } from './searchAttributes';

/** Where the operator's commands must point. */
export interface ClusterTarget {
  address: string;
  namespace: string;
  /** The connection needs credentials (TLS, an API key, headers), and so do the commands. */
  secured: boolean;
}

export function clusterTarget(connection: TemporalConnectionOptions, namespace: string): ClusterTarget {
  return { address: connection.address, namespace, secured: Boolean(connection.tls || connection.apiKey || connection.metadata) };
}

/** What is to be done on the server. */
export interface OperatorWork {
  namespace?: boolean;
  attributes?: readonly OrderSearchAttribute[];
  /** Attributes to remove first (registered with another type). */
  remove?: readonly OrderSearchAttribute[];
}

const names = (attributes: readonly OrderSearchAttribute[]) => attributes.map((attribute) => `--name ${attribute.name}`).join(' ');
const typed = (attributes: readonly OrderSearchAttribute[]) =>
  attributes.map((attribute) => `--name ${attribute.name} --type ${cliTypeName(attribute)}`).join(' ');

/** The commands that do `work`, in the order they must run. */
export function operatorCommands(target: ClusterTarget, work: OperatorWork): string[] {
  const at = `--address ${target.address} --namespace ${target.namespace}`;
  const commands: string[] = [];
  if (work.namespace) commands.push(`temporal operator namespace create ${at}`);
  if (work.remove?.length) commands.push(`temporal operator search-attribute remove ${at} ${names(work.remove)} --yes`);
  if (work.attributes?.length) commands.push(`temporal operator search-attribute create ${at} ${typed(work.attributes)}`);
  return commands;
}

/** Said after a problem on a secured server: this service's own credentials were not enough there. */
export function asAdministrator(target: ClusterTarget): string {
  return target.secured ? ' (run as an administrator of the namespace: add --api-key, or --tls-cert-path and --tls-key-path)' : '';
}
