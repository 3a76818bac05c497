import { useState } from 'react';
import { useShallow } from 'zustand/react/shallow';
import type { ApprovalRequest, ErrorValue } from '../../../shared/protocol/index.js';
import { api, toErrorValue } from '../store/api.js';
import { useHabitat } from '../store/store.js';
import { Button } from '../ui/Button.js';
import { ErrorBox } from '../ui/ErrorBox.js';
import { approvalArgs, visible } from './approvalArgs.js';
import './approvalPrompt.css';

/**
 * What the agent wants to do: the tool, then every argument it gave, long ones (a script on standard input, a file's
 * content) whole in a scrollable block. Nothing is summarised away: a person approves exactly what will run.
 */
function RequestDetails({ request }: { request: ApprovalRequest }) {
  const args = approvalArgs(request.args);
  return (
    <>
      <strong>
        The agent wants to use <code data-testid="approval-tool">{visible(request.tool)}</code>
        {args.length === 0 ? ' with no arguments' : ':'}
      </strong>
      {args.length > 0 && (
        <dl className="approval-args" data-testid="approval-args">
          {args.map((arg, i) => (
            <div key={i} className="approval-arg" data-arg={arg.name}>
              <dt>
                {arg.name || 'arguments'}
                {arg.size && <span className="muted"> ({arg.size})</span>}
              </dt>
              <dd>
                {arg.block ? (
                  // focusable, so that a keyboard can scroll it
                  <pre className="approval-arg-block" tabIndex={0}>
                    {arg.text}
                  </pre>
                ) : (
                  <code>{arg.text}</code>
                )}
              </dd>
            </div>
          ))}
        </dl>
      )}
    </>
  );
}

/** A question the agent asks a person (ask_human): a field for the answer, and Decline. */
function QuestionItem({
  request,
  onAnswer,
  onDecline,
}: {
  request: ApprovalRequest;
  onAnswer: (text: string) => void;
  onDecline: () => void;
}) {
  const [text, setText] = useState('');
  const id = `answer-${request.id}`;
  return (
    <form
      className="approval-item"
      onSubmit={(event) => {
        event.preventDefault();
        if (text.trim()) onAnswer(text);
      }}
    >
      <label htmlFor={id}>
        <strong>The agent asks:</strong>
      </label>
      <code>{request.question}</code>
      <textarea
        id={id}
        className="approval-answer"
        rows={2}
        value={text}
        placeholder="Your answer"
        onChange={(event) => setText(event.target.value)}
        onKeyDown={(event) => {
          if (event.key === 'Enter' && !event.shiftKey) {
            event.preventDefault();
            if (text.trim()) onAnswer(text);
          }
        }}
      />
      <div className="button-row">
        <Button variant="primary" type="submit" disabled={!text.trim()}>
          Answer
        </Button>
        <Button onClick={onDecline}>Decline</Button>
      </div>
    </form>
  );
}

/** An agent's actions waiting for a person, with Approve and Deny, and its questions; nothing when none waits. */
export function ApprovalPrompt({ pid }: { pid: number }) {
  const pending = useHabitat(useShallow((s) => Object.values(s.approvals).filter((a) => a.pid === pid)));
  const [error, setError] = useState<ErrorValue>();
  if (pending.length === 0) return null;
  const decide = (request: ApprovalRequest, command: 'agent.approve' | 'agent.deny') => {
    setError(undefined);
    api()
      .call(command, {
        pid,
        id: request.id,
        ...(command === 'agent.deny' ? { reason: 'a person denied it in the Agent VM' } : {}),
      })
      .catch((e: unknown) => setError(toErrorValue(e)));
  };
  const answer = (request: ApprovalRequest, text: string) => {
    setError(undefined);
    api()
      .call('agent.answer', { pid, id: request.id, text })
      .catch((e: unknown) => setError(toErrorValue(e)));
  };
  return (
    <div className="approval-prompt" role="alertdialog" aria-label="Approval needed" data-testid="approval">
      {pending.map((request) =>
        request.question !== undefined ? (
          <QuestionItem
            key={request.id}
            request={request}
            onAnswer={(text) => answer(request, text)}
            onDecline={() => decide(request, 'agent.deny')}
          />
        ) : (
          <div key={request.id} className="approval-item">
            <RequestDetails request={request} />
            {request.reasons.length > 0 && <p className="muted">Why it asks: {request.reasons.join('; ')}</p>}
            <div className="button-row">
              <Button variant="primary" onClick={() => decide(request, 'agent.approve')}>
                Approve
              </Button>
              <Button onClick={() => decide(request, 'agent.deny')}>Deny</Button>
            </div>
          </div>
        ),
      )}
      {error && <ErrorBox error={error} title="The decision was not taken" />}
    </div>
  );
}
