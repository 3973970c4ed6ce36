/**
 * The connection settings shared by the Temporal client (API) and the worker: TLS with an
 * optional client certificate and CA, and an API key, as Temporal Cloud and secured clusters need.
 */
import fs from 'node:fs';
import type { TLSConfig } from '@temporalio/client';
import type { TemporalSecurity } from '../config';

export interface TemporalConnectionOptions {
  address: string;
  tls?: TLSConfig | false;
  apiKey?: string;
}

export function temporalConnectionOptions(address: string, security?: TemporalSecurity): TemporalConnectionOptions {
  if (!security || (!security.tls && !security.apiKey)) return { address };
  if (!security.tls) return { address, tls: false, apiKey: security.apiKey };
  const tls: TLSConfig = {};
  if (security.serverName) tls.serverNameOverride = security.serverName;
  if (security.serverCaPath) tls.serverRootCACertificate = fs.readFileSync(security.serverCaPath);
  if (security.clientCertPath && security.clientKeyPath) {
    tls.clientCertPair = { crt: fs.readFileSync(security.clientCertPath), key: fs.readFileSync(security.clientKeyPath) };
  }
  return { address, tls, ...(security.apiKey ? { apiKey: security.apiKey } : {}) };
}
