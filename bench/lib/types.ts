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
  /** An absolute aim for the value itself (p99 at most 10 ms, at least 100,000 inserts/s). */
  aimAtMost?: number;
  aimAtLeast?: number;
}

/** Whether a metric meets its aim; undefined when it has none. */
export function meetsAim(m: Metric): boolean | undefined {
  if (m.aimRatio !== undefined && m.ratio !== undefined) return m.ratio <= m.aimRatio;
  if (m.aimAtMost !== undefined) return m.value <= m.aimAtMost;
  if (m.aimAtLeast !== undefined) return m.value >= m.aimAtLeast;
  return undefined;
}

/** The aim as printed in the table. */
export function describeAim(m: Metric): string {
  const met = meetsAim(m);
  if (met === undefined) return '';
  const verdict = met ? 'met' : 'NOT met';
  if (m.aimRatio !== undefined && m.ratio !== undefined)
    return `ratio <= ${+m.aimRatio.toFixed(2)} ${verdict}`;
  if (m.aimAtMost !== undefined) return `<= ${m.aimAtMost} ${verdict}`;
  return `>= ${m.aimAtLeast} ${verdict}`;
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
  const verdicts = result.metrics.map(meetsAim).filter((v) => v !== undefined);
  return { met: verdicts.filter(Boolean).length, total: verdicts.length };
}
