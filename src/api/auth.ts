/**
 * Who may do what. Clients send `Authorization: Bearer <secret>`; each secret has a role:
 * `read` (queries), `write` (commands and queries) or `admin` (everything, /admin included).
 * Secrets are kept only as SHA-256 digests and compared in constant time; logs name a key by a
 * short fingerprint of its digest, never by the secret. A per-key token bucket limits the rate.
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import type { Context, Next } from 'koa';
import { DomainError } from '../domain/errors';

export const ROLES = ['read', 'write', 'admin'] as const;
export type Role = (typeof ROLES)[number];

export interface ApiKeySpec {
  secret: string;
  role: Role;
}

interface ApiKey {
  digest: Buffer;
  role: Role;
  /** Safe to log: the first 8 hex digits of the digest. */
  fingerprint: string;
  bucket: TokenBucket;
}

const RANK: Record<Role, number> = { read: 0, write: 1, admin: 2 };

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

const digestOf = (secret: string) => createHash('sha256').update(secret, 'utf8').digest();

class TokenBucket {
  private tokens: number;
  private updated = Date.now();

  constructor(private readonly perSecond: number) {
    this.tokens = perSecond;
  }

  /** 0 when a request may go now, else the seconds until it may. */
  take(): number {
    if (this.perSecond <= 0) return 0;
    const now = Date.now();
    this.tokens = Math.min(this.perSecond, this.tokens + ((now - this.updated) / 1000) * this.perSecond);
    this.updated = now;
    if (this.tokens >= 1) {
      this.tokens -= 1;
      return 0;
    }
    return (1 - this.tokens) / this.perSecond;
  }
}

export interface AuthOptions {
  keys: ApiKeySpec[];
  /** Requests per second for read and write keys; 0 turns the limit off. */
  rateLimitRps: number;
  /** Requests per second for admin keys; 0 (the default) means unlimited. */
  adminRateLimitRps: number;
}

/** The role a request needs, or undefined for the open routes: health, documentation, the dashboard's files. */
export function requiredRole(method: string, path: string): Role | undefined {
  if (path === '/healthz' || path === '/readyz' || path === '/openapi.json' || path === '/docs' || path.startsWith('/docs/')) return undefined;
  // The dashboard's page and files hold no data; it reads the API with its user's key.
  if (path === '/' || path.startsWith('/dashboard/')) return undefined;
  if (path === '/admin' || path.startsWith('/admin/') || path === '/analytics/sql') return 'admin';
  return method === 'GET' || method === 'HEAD' ? 'read' : 'write';
}

export function authMiddleware(options: AuthOptions) {
  const keys: ApiKey[] = options.keys.map(({ secret, role }) => {
    const digest = digestOf(secret);
    return {
      digest,
      role,
      fingerprint: digest.toString('hex').slice(0, 8),
      bucket: new TokenBucket(role === 'admin' ? options.adminRateLimitRps : options.rateLimitRps),
    };
  });

  const find = (presented: string): ApiKey | undefined => {
    const digest = digestOf(presented);
    let found: ApiKey | undefined;
    // Compare with every key, so the time taken does not tell which (or whether one) matched.
    for (const key of keys) if (timingSafeEqual(key.digest, digest)) found = key;
    return found;
  };

  return async (ctx: Context, next: Next): Promise<void> => {
    const needed = requiredRole(ctx.method, ctx.path);
    if (!needed) return next();
    const header = ctx.get('Authorization');
    const match = /^Bearer\s+(\S+)\s*$/i.exec(header);
    const key = match ? find(match[1]) : undefined;
    if (!key) {
      ctx.set('WWW-Authenticate', 'Bearer realm="orders"');
      throw new DomainError('UNAUTHORIZED', header ? 'the API key is not valid' : 'send an API key as Authorization: Bearer <key>');
    }
    ctx.state.apiKey = key.fingerprint;
    ctx.state.log = ctx.state.log?.child({ apiKey: key.fingerprint });
    if (RANK[key.role] < RANK[needed]) throw new DomainError('FORBIDDEN', `a ${key.role} key may not do this; it needs a ${needed} key`);
    const wait = key.bucket.take();
    if (wait > 0) {
      ctx.set('Retry-After', String(Math.max(1, Math.ceil(wait))));
      throw new DomainError('RATE_LIMITED', 'too many requests for this API key; retry after the time in Retry-After');
    }
    await next();
  };
}
