import { parseApiKeys } from '../../src/api/auth';
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
    expect(() => loadConfig({ API_KEYS: 'short', RATE_LIMIT_RPS: 'fast', AUTH_FAILURES_PER_MINUTE: '-1' })).toThrow(ConfigError);
    try {
      loadConfig({ API_KEYS: 'short', RATE_LIMIT_RPS: 'fast', AUTH_FAILURES_PER_MINUTE: '-1' });
    } catch (error) {
      expect((error as ConfigError).problems).toHaveLength(3);
    }
  });

  it('limits failed authentications to 30 a minute per address unless AUTH_FAILURES_PER_MINUTE says otherwise', () => {
    expect(loadConfig({}).authFailuresPerMinute).toBe(30);
    expect(loadConfig({ AUTH_FAILURES_PER_MINUTE: '0' }).authFailuresPerMinute).toBe(0);
  });
});
