import { useState } from 'react';
import { useShallow } from 'zustand/react/shallow';
import type { ApprovalRequest, ErrorValue } from '../../../shared/protocol/index.js';
import { api, toErrorValue } from '../store/api.js';
import { useHabitat } from '../store/store.js';
import { Button } from '../ui/Button.js';
import { ErrorBox } from '../ui/ErrorBox.js';

/** What the agent wants to do, in the words a person checks: the command itself where there is one. */
function describe(request: ApprovalRequest): string {
  const args = request.args as { command?: unknown; path?: unknown } | null;
  if (typeof args?.command === 'string') return args.command;
  if (typeof args?.path === 'string') return `${request.tool} ${args.path}`;
  return `${request.tool} ${JSON.stringify(request.args)}`;
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
            <strong>The agent wants to run:</strong>
            <code>{describe(request)}</code>
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
