/** Percentiles and the shapes of benchmark results. */
export function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return NaN;
  const index = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[index];
}

export interface Distribution {
  count: number;
  p50: number;
  p95: number;
  p99: number;
}

export function distribution(values: number[]): Distribution {
  const sorted = [...values].sort((a, b) => a - b);
  return { count: sorted.length, p50: percentile(sorted, 50), p95: percentile(sorted, 95), p99: percentile(sorted, 99) };
}

export interface Scenario {
  name: string;
  unit: string;
  count: number;
  /** Per second, where the scenario is a rate. */
  throughput?: number;
  latencyMs?: Distribution;
  baseline?: { name: string; throughput?: number; latencyMs?: Distribution };
  /** This run's figure divided by its baseline's. */
  ratio?: number;
  target?: string;
  met?: boolean;
  note?: string;
}
