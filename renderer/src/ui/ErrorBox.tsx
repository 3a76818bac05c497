import type { ErrorValue } from '../../../shared/protocol/index.js';
import { Icon } from './Icon.js';

const CODE_HELP: Partial<Record<ErrorValue['code'], string>> = {
  E_INVALID: 'Something in the request is not valid.',
  E_NOT_FOUND: 'What it names does not exist.',
  E_DENIED: 'This is not allowed.',
  E_CONFLICT: 'It is in a state that does not allow this.',
  E_UNAVAILABLE: 'Something it needs is missing or down.',
  E_TIMEOUT: 'It took too long.',
  E_LIMIT: 'A limit was reached.',
};

/**
 * The problems a refused request names, field by field: the bridge sends them as details.issues; some callers pass
 * the list itself as the details.
 */
export function errorIssues(error: ErrorValue): { path: string; message: string }[] {
  const listed = Array.isArray(error.details)
    ? (error.details as unknown[])
    : ((error.details as { issues?: unknown } | null | undefined)?.issues ?? []);
  return (Array.isArray(listed) ? listed : []).filter(
    (d): d is { path: string; message: string } =>
      typeof d === 'object' && d !== null && typeof (d as { message?: unknown }).message === 'string',
  );
}

/** An error value as a person reads it: what happened, the kernel's message, and the details it gave. */
export function ErrorBox({ error, title }: { error: ErrorValue; title?: string }) {
  const issues = errorIssues(error);
  const extra =
    issues.length === 0 && error.details !== undefined && error.details !== null
      ? JSON.stringify(error.details, null, 1)
      : undefined;
  return (
    <div className="error-box" role="alert" data-testid="error-box" data-code={error.code}>
      <Icon name="alert" size={18} />
      <div>
        <strong>{title ?? CODE_HELP[error.code] ?? 'It failed.'}</strong>
        <p>
          {error.message} <code>{error.code}</code>
        </p>
        {issues.length > 0 && (
          <ul>
            {issues.map((issue, i) => (
              <li key={i}>
                {issue.path ? <code>{issue.path}</code> : null} {issue.message}
              </li>
            ))}
          </ul>
        )}
        {extra && <pre className="error-details">{extra.slice(0, 2000)}</pre>}
      </div>
    </div>
  );
}
