import type { PluginInfo, PluginRunResult } from '../../shared/protocol/index.js';

/**
 * The runner: a few lines of bash run inside the agent's sandbox, from its home, as the agent. It enters the
 * plugin's folder, exports the call's simple arguments as HABITAT_ARG_<name> (for handlers in shell, or in a
 * Python without its json module, as in the minimal sandbox image) and starts the handler by its kind; the whole
 * call also arrives as JSON on standard input.
 */
export const RUNNER = [
  'set -u',
  'cd -- "$1" || exit 126',
  'handler="$2"',
  'export HABITAT_PLUGIN="$3" HABITAT_PLUGIN_TOOL="$4"',
  'shift 4',
  'while [ "$#" -ge 2 ]; do export "HABITAT_ARG_$1=$2"; shift 2; done',
  'case "$handler" in',
  '  *.py) exec python3 -- "$handler" ;;',
  '  *.sh) exec bash -- "$handler" ;;',
  '  *) exec "./$handler" ;;',
  'esac',
].join('\n');

const ARG_NAME = /^[A-Za-z_][A-Za-z0-9_]{0,63}$/;

/** Top-level strings, numbers and booleans with names a shell variable can carry, as name, value pairs. */
function simpleArguments(args: Record<string, unknown>): string[] {
  return Object.entries(args).flatMap(([name, value]) => {
    if (!ARG_NAME.test(name)) return [];
    if (typeof value !== 'string' && typeof value !== 'number' && typeof value !== 'boolean') return [];
    const text = String(value);
    return text.includes('\0') ? [] : [name, text];
  });
}

export function runnerArgv(plugin: PluginInfo, tool: string, args: Record<string, unknown>): string[] {
  return [
    'bash',
    '-c',
    RUNNER,
    'habitat-plugin',
    plugin.path,
    plugin.handler,
    plugin.name,
    tool,
    ...simpleArguments(args),
  ];
}

/** A handler answers with text, or JSON {"content": "...", "isError": bool}. */
export function interpret(
  result: {
    exitCode: number | null;
    stdout: string;
    stderr: string;
    timedOut: boolean;
    truncated: boolean;
    durationMs: number;
  },
  timeoutMs: number,
): PluginRunResult {
  const base = {
    exitCode: result.exitCode,
    stderr: result.stderr,
    timedOut: result.timedOut,
    truncated: result.truncated,
    durationMs: result.durationMs,
  };
  if (result.timedOut)
    return { ...base, content: `the plugin timed out after ${timeoutMs} ms and was killed`, isError: true };
  const text = result.stdout.trim();
  let content = text;
  let isError = result.exitCode !== 0;
  if (text.startsWith('{')) {
    try {
      const json = JSON.parse(text) as { content?: unknown; isError?: unknown };
      if (typeof json.content === 'string') {
        content = json.content;
        isError = isError || json.isError === true;
      }
    } catch {
      // plain text that happens to start with a brace
    }
  }
  if (isError && content === '')
    content = result.stderr.trim() || `the handler exited with code ${result.exitCode}`;
  return { ...base, content, isError };
}
