import { parseApiKeys, requiredRole } from '../../src/api/auth';
import { ConfigError, loadConfig } from '../../src/config';

describe('API_KEYS', () => {
  it('reads secrets with and without a role; a bare secret is admin', () => {
    expect(parseApiKeys('aaaaaaaaaaaaaaaa:read, bbbbbbbbbbbbbbbb:write,cccccccccccccccc')).toEqual({
      keys: [
        { secret: 'aaaaaaaaaaaaaaaa', role: 'read' },
        { secret: 'bbbbbbbbbbbbbbbb', role: 'write' },
        { secret: 'cccccccccccccccc', role: 'admin' },
      ],
      problems: [],
    });
  });

  it('keeps a colon that is part of the secret', () => {
    expect(parseApiKeys('abc:0123456789abcdef').keys).toEqual([{ secret: 'abc:0123456789abcdef', role: 'admin' }]);
  });

  it('reports an unknown role and a short secret, naming the entry but not the secret', () => {
    const { problems } = parseApiKeys('dddddddddddddddd:owner,short:read');
    expect(problems).toEqual(['API_KEYS entry 1: role "owner" is not one of read, write, admin', 'API_KEYS entry 2: a secret must be at least 16 characters']);
    expect(problems.join()).not.toContain('dddddddddddddddd');
  });

  it('stops the start-up with one line per bad value', () => {
    expect(() => loadConfig({ API_KEYS: 'short', RATE_LIMIT_RPS: 'fast' })).toThrow(ConfigError);
    try {
      loadConfig({ API_KEYS: 'short', RATE_LIMIT_RPS: 'fast' });
    } catch (error) {
      expect((error as ConfigError).problems).toHaveLength(2);
    }
  });
});

describe('the role a request needs', () => {
  it.each([
    ['GET', '/healthz', undefined],
    ['GET', '/readyz', undefined],
    ['GET', '/orders/x', 'read'],
    ['GET', '/stats/orders', 'read'],
    ['POST', '/orders', 'write'],
    ['POST', '/orders/x/cancel', 'write'],
    ['POST', '/admin/projections/rebuild', 'admin'],
    ['GET', '/admin', 'admin'],
  ])('%s %s needs %s', (method, route, role) => {
    expect(requiredRole(method, route)).toBe(role);
  });
});
