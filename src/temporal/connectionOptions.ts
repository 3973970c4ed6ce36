/**
 * The connection settings shared by the Temporal client (API) and the worker: the server's
 * address, with the TLS, API key and gRPC headers a secured cluster or Temporal Cloud needs.
 */
import type { TemporalConnectionSettings } from '../config';

export interface TemporalConnectionOptions extends TemporalConnectionSettings {
  address: string;
}

/** The embedded dev server is reached without settings: it speaks plain gRPC. */
export function temporalConnectionOptions(address: string, settings: TemporalConnectionSettings = {}): TemporalConnectionOptions {
  return { address, ...settings };
}
