/**
 * A token issuer for a Temporal frontend that authorizes callers (its default JWT claim mapper):
 * an RSA key whose public half is served as a JWKS over HTTP, and RS256 tokens granting
 * permissions such as `orders:write` (a writer of the namespace `orders`) or `orders:admin`.
 */
import { createSign, generateKeyPairSync, randomUUID } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';

export interface JwtIssuer {
  jwksUrl: string;
  /** A token valid for an hour with these permissions (`namespace:role`). */
  token(permissions: string[]): string;
  close(): Promise<void>;
}

const base64url = (data: string | Buffer) => Buffer.from(data).toString('base64url');

export async function startJwtIssuer(): Promise<JwtIssuer> {
  const { publicKey, privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const kid = randomUUID();
  const jwks = JSON.stringify({ keys: [{ ...publicKey.export({ format: 'jwk' }), kid, alg: 'RS256', use: 'sig' }] });
  const server = http.createServer((_request, response) => response.writeHead(200, { 'content-type': 'application/json' }).end(jwks));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    jwksUrl: `http://127.0.0.1:${(server.address() as AddressInfo).port}/jwks.json`,
    token(permissions) {
      const now = Math.floor(Date.now() / 1000);
      const header = base64url(JSON.stringify({ alg: 'RS256', typ: 'JWT', kid }));
      const claims = base64url(JSON.stringify({ sub: 'orders-test', permissions, iat: now, exp: now + 3600 }));
      const signature = createSign('RSA-SHA256').update(`${header}.${claims}`).sign(privateKey);
      return `${header}.${claims}.${base64url(signature)}`;
    },
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}
