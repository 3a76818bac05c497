import { useCallback, useEffect, useId, useRef, useState, type ReactNode } from 'react';
import { createPortal } from 'react-dom';
import { Button } from '../ui/Button.js';
import { useFocusTrap } from '../ui/useFocusTrap.js';

export interface Choice<T extends string> {
  id: T;
  label: string;
  variant?: 'primary' | 'danger';
}

/** A question with a few answers, for something a person is about to lose (a file's contents, unsaved edits). */
export interface ChoiceSpec<T extends string> {
  title: string;
  body: ReactNode;
  /** The buttons, left to right (the desktop's dialogs end with the main action). */
  choices: Choice<T>[];
  /** What Escape and a click outside answer: the answer that loses nothing. */
  cancel: T;
  /** The button focused first, so Enter answers it: a safe one where another answer destroys something. */
  initial: T;
}

interface Asking {
  spec: ChoiceSpec<string>;
  resolve(answer: string): void;
}

/**
 * A modal question as the desktop's dialogs are (the overlay, the dialog frame, focus kept inside, Escape to
 * cancel), asked with `await ask(spec)`. It is drawn over the whole page, not inside the window, so it shows even
 * when the window is minimised or hidden behind a tab (a window close can ask for one). Render `dialog` once.
 */
export function useChoice(): {
  ask<T extends string>(spec: ChoiceSpec<T>): Promise<T>;
  asking: boolean;
  dialog: ReactNode;
} {
  const [asking, setAsking] = useState<Asking | null>(null);
  const current = useRef<Asking | null>(null);

  const answer = useCallback((value: string) => {
    const open = current.current;
    current.current = null;
    setAsking(null);
    open?.resolve(value);
  }, []);

  const ask = useCallback(
    <T extends string>(spec: ChoiceSpec<T>): Promise<T> => {
      // one question at a time: a second one cancels the first
      if (current.current) answer(current.current.spec.cancel);
      return new Promise<T>((resolve) => {
        const next: Asking = { spec, resolve: resolve as (answer: string) => void };
        current.current = next;
        setAsking(next);
      });
    },
    [answer],
  );

  // a question left open when the view goes away is answered with its cancel, so nothing waits forever
  useEffect(() => () => current.current?.resolve(current.current.spec.cancel), []);

  return {
    ask,
    asking: asking !== null,
    dialog: asking && <ChoiceDialog spec={asking.spec} onAnswer={answer} />,
  };
}

function ChoiceDialog({ spec, onAnswer }: { spec: ChoiceSpec<string>; onAnswer(answer: string): void }) {
  const ref = useRef<HTMLDivElement>(null);
  const id = useId();
  useFocusTrap(ref, () => onAnswer(spec.cancel));
  return createPortal(
    <div className="overlay" onPointerDown={(e) => e.target === e.currentTarget && onAnswer(spec.cancel)}>
      <div
        ref={ref}
        className="dialog choice-dialog"
        role="alertdialog"
        aria-modal="true"
        aria-labelledby={`${id}-title`}
        aria-describedby={`${id}-body`}
        data-testid="choice-dialog"
        // keys stay here: through the portal they would reach the window's own shortcuts (Ctrl+S saves)
        onKeyDown={(e) => e.stopPropagation()}
      >
        <header className="dialog-header">
          <h2 id={`${id}-title`}>{spec.title}</h2>
        </header>
        <div className="dialog-body" id={`${id}-body`}>
          {spec.body}
        </div>
        <footer className="dialog-footer">
          <span className="toolbar-spacer" />
          {spec.choices.map((choice) => (
            <Button
              key={choice.id}
              variant={choice.variant}
              onClick={() => onAnswer(choice.id)}
              data-autofocus={choice.id === spec.initial ? '' : undefined}
            >
              {choice.label}
            </Button>
          ))}
        </footer>
      </div>
    </div>,
    document.body,
  );
}
