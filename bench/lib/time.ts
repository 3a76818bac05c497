/** Monotonic clock in nanoseconds. */
export const now = (): bigint => process.hrtime.bigint();

/** Nanoseconds since `start`, as a plain number (exact below 2^53 ns, i.e. about 104 days). */
export const elapsedNs = (start: bigint): number => Number(process.hrtime.bigint() - start);

export const nsToUs = (ns: number): number => ns / 1e3;
export const nsToMs = (ns: number): number => ns / 1e6;

/** Operations per second for `count` operations that took `ns` in total. */
export const perSecond = (count: number, ns: number): number => (count * 1e9) / ns;
