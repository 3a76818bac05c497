import { describe, expect, it } from 'vitest';
import { approvalArgs, visible } from './approvalArgs.js';

describe('approval arguments', () => {
  it('shows every argument in order, a body of text as a block with its size', () => {
    const args = approvalArgs({ command: 'bash', input: 'rm -rf ~/notes.md ~/Documents; echo wiped' });
    expect(args).toEqual([
      { name: 'command', text: 'bash', block: false },
      {
        name: 'input',
        text: 'rm -rf ~/notes.md ~/Documents; echo wiped',
        block: true,
        size: '41 bytes, 1 line',
      },
    ]);
  });

  it('keeps arguments it does not know, as JSON when they are not text', () => {
    const args = approvalArgs({ path: 'a.txt', mode: 420, flags: { force: true }, note: null });
    expect(args.map((a) => [a.name, a.text])).toEqual([
      ['path', 'a.txt'],
      ['mode', '420'],
      ['flags', '{\n  "force": true\n}'],
      ['note', 'null'],
    ]);
    expect(args[2]!.block).toBe(true); // multi-line
  });

  it('puts a long or multi-line value in a block', () => {
    const [long] = approvalArgs({ command: 'x'.repeat(81) });
    expect(long!.block).toBe(true);
    const [lines] = approvalArgs({ command: 'echo a\necho b\n' });
    expect(lines).toMatchObject({ block: true, size: '14 bytes, 2 lines' });
  });

  it('shows arguments that are not an object whole, and nothing for none', () => {
    expect(approvalArgs(['a', 1])).toEqual([
      { name: '', text: '[\n  "a",\n  1\n]', block: true, size: '14 bytes, 4 lines' },
    ]);
    expect(approvalArgs('rm -rf /')).toEqual([{ name: '', text: 'rm -rf /', block: false }]);
    expect(approvalArgs(undefined)).toEqual([]);
    expect(approvalArgs({})).toEqual([]);
  });

  it('makes characters that hide or reorder text visible', () => {
    expect(visible('ls\u202e; rm -rf ~\u202c')).toBe('ls⟨U+202E⟩; rm -rf ~⟨U+202C⟩');
    expect(visible('a\rb\u200bc\u001b[2Jd\te\nf')).toBe('a⟨U+000D⟩b⟨U+200B⟩c⟨U+001B⟩[2Jd\te\nf');
    const [arg] = approvalArgs({ 'co\u200bmmand': 'ok' });
    expect(arg!.name).toBe('co⟨U+200B⟩mmand');
  });
});
