import { ConfigError, loadConfig } from '../../src/config';

/** The problems loadConfig reports for an environment, one line each. */
function problemsOf(env: Record<string, string>): string[] {
  try {
    loadConfig(env);
  } catch (error) {
    if (error instanceof ConfigError) return error.problems;
    throw error;
  }
  return [];
}

describe('PENDING_ORDER_TIMEOUT', () => {
  it('is unset by default: orders wait for ever', () => {
    expect(loadConfig({}).pendingOrderTimeoutMs).toBeUndefined();
    expect(loadConfig({ PENDING_ORDER_TIMEOUT: '  ' }).pendingOrderTimeoutMs).toBeUndefined();
  });

  it.each([
    ['30m', 30 * 60_000],
    ['24h', 24 * 3_600_000],
    ['1.5h', 90 * 60_000],
    ['2 days', 2 * 86_400_000],
    ['90s', 90_000],
    ['365d', 365 * 86_400_000],
  ])('reads %s as a duration', (raw, millis) => {
    expect(loadConfig({ PENDING_ORDER_TIMEOUT: raw }).pendingOrderTimeoutMs).toBe(millis);
  });

  // A bare number has no unit to read it in (30 would be 30 ms to `ms`, surely not what was meant).
  it.each(['30', 'soon', '-1h', '0s', '500ms', '2y', '30 parsecs'])('refuses %s, naming the variable and what it takes', (raw) => {
    expect(problemsOf({ PENDING_ORDER_TIMEOUT: raw })).toEqual([
      `PENDING_ORDER_TIMEOUT=${JSON.stringify(raw)}: must be a duration from 1s to 365d with its unit, e.g. 30m, 24h or 2 days`,
    ]);
  });
});
