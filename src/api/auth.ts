/**
 * Who may do what. Clients send `Authorization: Bearer <secret>`; each secret has a role: `read`
 * (queries), `write` (commands and queries) or `admin` (everything). Each route declares the role
 * it needs (./route.ts). Secrets are kept only as SHA-256 digests and compared in constant time;
 * logs name a key by a short fingerprint of its digest, never by the secret. rate-limiter-flexible
 * limits the requests of each key, and the failed authentications of each client address: past
 * that limit an address is refused every authentication for a while, so that guessing keys from it
 * stops, a right guess included.
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import type { Context, Middleware } from 'koa';
import { RateLimiterMemory, RateLimiterRes } from 'rate-limiter-flexible';
import { DomainError } from '../domain/errors';
import { Access, reaches, Role, ROLES } from './route';

export interface ApiKeySpec {
  secret: string;
  role: Role;
}

interface ApiKey {
  digest: Buffer;
  role: Role;
  /** Safe to log: the first 8 hex digits of the digest. */
  fingerprint: string;
}

/** `secret` or `secret:role`, comma-separated; a secret without a role is admin. */
export function parseApiKeys(raw: string): { keys: ApiKeySpec[]; problems: string[] } {
  const keys: ApiKeySpec[] = [];
  const problems: string[] = [];
  raw
    .split(',')
    .map((entry) => entry.trim())
    .filter(Boolean)
    .forEach((entry, index) => {
      const at = entry.lastIndexOf(':');
      const hasRole = at > 0 && (ROLES as readonly string[]).includes(entry.slice(at + 1));
      const secret = hasRole ? entry.slice(0, at) : entry;
      const role = (hasRole ? entry.slice(at + 1) : 'admin') as Role;
      if (at > 0 && !hasRole && /^[a-z]+$/.test(entry.slice(at + 1))) {
        problems.push(`API_KEYS entry ${index + 1}: role "${entry.slice(at + 1)}" is not one of ${ROLES.join(', ')}`);
      } else if (secret.length < 16) {
        problems.push(`API_KEYS entry ${index + 1}: a secret must be at least 16 characters`);
      } else {
        keys.push({ secret, role });
      }
    });
  if (keys.length === 0 && problems.length === 0) problems.push('API_KEYS: no key given');
  return { keys, problems };
}

export interface AuthOptions {
  keys: ApiKeySpec[];
  /** Requests per second for read and write keys; 0 turns the limit off. */
  rateLimitRps: number;
  /** Requests per second for admin keys; 0 (the default) means unlimited. */
  adminRateLimitRps: number;
  /** Failed authentications a client address may make per minute; 0 turns the limit off. */
  authFailuresPerMinute: number;
}

const digestOf = (secret: string) => createHash('sha256').update(secret, 'utf8').digest();

/** A limiter of `points` per `seconds`, or none for 0. */
function limiter(points: number, seconds: number, keyPrefix: string): RateLimiterMemory | undefined {
  return points > 0 ? new RateLimiterMemory({ points, duration: seconds, keyPrefix }) : undefined;
}

function rateLimited(ctx: Context, waitMs: number, message: string): DomainError {
  ctx.set('Retry-After', String(Math.max(1, Math.ceil(waitMs / 1000))));
  return new DomainError('RATE_LIMITED', message);
}

/** Takes one point, or throws RATE_LIMITED with Retry-After when none is left. */
async function spend(ctx: Context, limit: RateLimiterMemory | undefined, key: string, message: string): Promise<void> {
  try {
    await limit?.consume(key);
  } catch (refused) {
    if (refused instanceof RateLimiterRes) throw rateLimited(ctx, refused.msBeforeNext, message);
    throw refused;
  }
}

/** The gate in front of every route: `admit(access)` is the middleware that lets a request through. */
export function gatekeeper(options: AuthOptions) {
  const keys: ApiKey[] = options.keys.map(({ secret, role }) => {
    const digest = digestOf(secret);
    return { digest, role, fingerprint: digest.toString('hex').slice(0, 8) };
  });
  const perKey: Record<Role, RateLimiterMemory | undefined> = {
    read: limiter(options.rateLimitRps, 1, 'read'),
    write: limiter(options.rateLimitRps, 1, 'write'),
    admin: limiter(options.adminRateLimitRps, 1, 'admin'),
  };
  const failures = limiter(options.authFailuresPerMinute, 60, 'auth-failures');
  const tooManyFailures = 'too many failed authentications from this address; retry after the time in Retry-After';

  const find = (presented: string): ApiKey | undefined => {
    const digest = digestOf(presented);
    let found: ApiKey | undefined;
    // Compare with every key, so the time taken does not tell which (or whether one) matched.
    for (const key of keys) if (timingSafeEqual(key.digest, digest)) found = key;
    return found;
  };

  const authenticate = async (ctx: Context): Promise<ApiKey> => {
    const blocked = await failures?.get(ctx.ip);
    if (blocked && blocked.remainingPoints <= 0) throw rateLimited(ctx, blocked.msBeforeNext, tooManyFailures);
    const header = ctx.get('Authorization');
    const match = /^Bearer\s+(\S+)\s*$/i.exec(header);
    const key = match ? find(match[1]) : undefined;
    if (key) return key;
    await spend(ctx, failures, ctx.ip, tooManyFailures);
    ctx.set('WWW-Authenticate', 'Bearer realm="orders"');
    throw new DomainError('UNAUTHORIZED', header ? 'the API key is not valid' : 'send an API key as Authorization: Bearer <key>');
  };

  const admit =
    (access: Access): Middleware =>
    async (ctx, next) => {
      if (access === 'public') return next();
      const key = await authenticate(ctx);
      ctx.state.apiKey = key.fingerprint;
      ctx.state.log = ctx.state.log?.child({ apiKey: key.fingerprint });
      if (!reaches(key.role, access)) throw new DomainError('FORBIDDEN', `a ${key.role} key may not do this; it needs a ${access} key`);
      await spend(ctx, perKey[key.role], key.fingerprint, 'too many requests for this API key; retry after the time in Retry-After');
      await next();
    };

  return { admit };
}

export type Gatekeeper = ReturnType<typeof gatekeeper>;
