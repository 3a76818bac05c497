/** A small line graph of values in 0..1, newest on the right. */
export function Sparkline({ values, label }: { values: number[]; label: string }) {
  const w = 160;
  const h = 36;
  const n = Math.max(2, values.length);
  const points = values.map(
    (v, i) => `${((i + (n - values.length)) / (n - 1)) * w},${h - Math.max(0, Math.min(1, v)) * (h - 2) - 1}`,
  );
  return (
    <svg
      className="sparkline"
      viewBox={`0 0 ${w} ${h}`}
      width={w}
      height={h}
      role="img"
      aria-label={label}
      preserveAspectRatio="none"
    >
      {points.length > 1 && (
        <>
          <polyline points={`0,${h} ${points.join(' ')} ${w},${h}`} className="sparkline-fill" />
          <polyline points={points.join(' ')} className="sparkline-line" />
        </>
      )}
    </svg>
  );
}
