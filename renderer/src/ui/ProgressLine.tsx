import type { ReactNode } from 'react';

/** A long task's progress: a bar (a sliver while the percent is unknown) and what it is doing, announced politely. */
export function ProgressLine({
  label,
  percent,
  children,
}: {
  label: string;
  percent?: number | undefined;
  children: ReactNode;
}) {
  return (
    <div className="build-progress" role="status">
      <div
        className="progress"
        role="progressbar"
        aria-label={label}
        aria-valuemin={0}
        aria-valuemax={100}
        aria-valuenow={percent ?? undefined}
      >
        <div className="progress-bar" style={{ width: `${percent ?? 5}%` }} />
      </div>
      <span>{children}</span>
    </div>
  );
}
