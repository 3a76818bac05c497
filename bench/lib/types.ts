/** One measured figure, optionally set against the same figure for a reference implementation. */
export interface Metric {
  name: string;
  value: number;
  unit: string;
  /** The same measure taken on the reference (e.g. a bare echo server). */
  reference?: number;
  /** How many times worse than the reference: above 1 is worse, whichever way the unit points. */
  ratio?: number;
  /** The largest ratio the project aims for; informational, never a failure. */
  aimRatio?: number;
}

export interface BenchResult {
  /** What the reference column was measured on. */
  reference?: string;
  metrics: Metric[];
  /** Context a reader needs to trust the figures: sample counts, message sizes. */
  notes?: string[];
}

export interface Benchmark {
  name: string;
  run(): Promise<BenchResult>;
}

/** Ratio oriented so that above 1 always means worse than the reference. */
export function slowdown(value: number, reference: number, better: 'lower' | 'higher'): number {
  return better === 'lower' ? value / reference : reference / value;
}

/** How many of the metrics that have an aim are within it. */
export function aimsMet(result: BenchResult): { met: number; total: number } {
  const aimed = result.metrics.filter((m) => m.aimRatio !== undefined && m.ratio !== undefined);
  return { met: aimed.filter((m) => m.ratio! <= m.aimRatio!).length, total: aimed.length };
}
