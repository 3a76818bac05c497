import { javascript } from '@codemirror/lang-javascript';
import { json } from '@codemirror/lang-json';
import { markdown } from '@codemirror/lang-markdown';
import { python } from '@codemirror/lang-python';
import CodeMirror from '@uiw/react-codemirror';
import { useMemo } from 'react';
import { useResolvedTheme } from '../desktop/theme.js';
import { languageOf } from './paths.js';

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
  const extensions = useMemo(() => {
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
  }, [path]);
  return (
    <CodeMirror
      className="code-editor"
      value={value}
      onChange={onChange}
      extensions={extensions}
      theme={theme}
      readOnly={readOnly}
      height="100%"
      aria-label={`Contents of ${path}`}
      basicSetup={{ foldGutter: false, highlightActiveLine: true }}
    />
  );
}
