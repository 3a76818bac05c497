import { javascript } from '@codemirror/lang-javascript';
import { json } from '@codemirror/lang-json';
import { markdown } from '@codemirror/lang-markdown';
import { python } from '@codemirror/lang-python';
import CodeMirror, { EditorView, Prec, type Extension } from '@uiw/react-codemirror';
import { useMemo } from 'react';
import { useResolvedTheme } from '../desktop/theme.js';
import { languageOf } from './paths.js';

/**
 * One Dark's colours on the desktop's own dark surface instead of its grey: there they all reach WCAG AA contrast
 * (on One Dark's background its headings and comments do not).
 */
const darkSurface = Prec.highest(
  EditorView.theme(
    {
      '&': { backgroundColor: 'var(--surface)' },
      '.cm-gutters': { backgroundColor: 'var(--surface)' },
      '.cm-activeLine': { backgroundColor: 'var(--surface-2)' },
      '.cm-activeLineGutter': { backgroundColor: 'var(--surface-2)' },
    },
    { dark: true },
  ),
);

function language(path: string): Extension[] {
  switch (languageOf(path)) {
    case 'javascript':
      return [javascript({ jsx: true })];
    case 'typescript':
      return [javascript({ jsx: true, typescript: true })];
    case 'python':
      return [python()];
    case 'markdown':
      return [markdown()];
    case 'json':
      return [json()];
    default:
      return [];
  }
}

/** CodeMirror with the language its file name suggests and the desktop's theme. */
export default function CodeEditor({
  path,
  value,
  onChange,
  readOnly = false,
}: {
  path: string;
  value: string;
  onChange(value: string): void;
  readOnly?: boolean;
}) {
  const theme = useResolvedTheme();
  const extensions = useMemo(
    () => [
      // the editable element itself is the text box: it carries the name
      EditorView.contentAttributes.of({ 'aria-label': `Contents of ${path}` }),
      ...(theme === 'dark' ? [darkSurface] : []),
      ...language(path),
    ],
    [path, theme],
  );
  return (
    <CodeMirror
      className="code-editor"
      value={value}
      onChange={onChange}
      extensions={extensions}
      theme={theme}
      readOnly={readOnly}
      height="100%"
      basicSetup={{ foldGutter: false, highlightActiveLine: true }}
    />
  );
}
