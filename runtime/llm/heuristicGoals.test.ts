import { describe, expect, it } from 'vitest';
import { parseGoal, type PlannedAction } from './heuristicGoals.js';

const write = (path: string, content: string, append?: boolean): PlannedAction => ({
  tool: 'write_file',
  args: append ? { path, content, append } : { path, content },
});
const run = (command: string): PlannedAction => ({ tool: 'run_command', args: { command } });

/** The offline planner's grammar: goals people write, and what it makes of them. */
describe('parseGoal', () => {
  const cases: [string, PlannedAction[]][] = [
    [
      'create notes/todo.md listing three tasks, then show it with cat',
      [
        write('notes/todo.md', '# Todo\n\n- [ ] Task 1\n- [ ] Task 2\n- [ ] Task 3\n'),
        run('cat notes/todo.md'),
      ],
    ],
    ['Create a file called hello.txt with content "Hello, world!"', [write('hello.txt', 'Hello, world!\n')]],
    [
      "create 'my notes.txt' containing 'line one\\nline two'",
      [write('my notes.txt', 'line one\nline two\n')],
    ],
    [
      'write "hi there" to greeting.txt and read it',
      [write('greeting.txt', 'hi there\n'), { tool: 'read_file', args: { path: 'greeting.txt' } }],
    ],
    ['write hello world to a.txt', [write('a.txt', 'hello world\n')]],
    ['make an empty file called README', [write('README', '')]],
    ['create ideas.md with a list of 2 ideas', [write('ideas.md', '# Ideas\n\n- Idea 1\n- Idea 2\n')]],
    ['Read the file notes/todo.md', [{ tool: 'read_file', args: { path: 'notes/todo.md' } }]],
    [
      'show me the contents of /home/agent/Documents/a.txt',
      [{ tool: 'read_file', args: { path: 'Documents/a.txt' } }],
    ],
    ['append "buy milk" to shopping.txt', [write('shopping.txt', 'buy milk\n', true)]],
    ["add the line 'walk the dog' to notes/todo.md", [write('notes/todo.md', 'walk the dog\n', true)]],
    [
      'replace "milk" with "oat milk" in shopping.txt',
      [{ tool: 'edit_file', args: { path: 'shopping.txt', find: 'milk', replace: 'oat milk' } }],
    ],
    [
      "in config.ini, change 'debug=false' to 'debug=true'",
      [{ tool: 'edit_file', args: { path: 'config.ini', find: 'debug=false', replace: 'debug=true' } }],
    ],
    ['list files', [{ tool: 'list_files', args: { path: '.' } }]],
    ['list the files in the Documents folder', [{ tool: 'list_files', args: { path: 'Documents' } }]],
    ['show the files in notes', [{ tool: 'list_files', args: { path: 'notes' } }]],
    ['make a folder called projects/web', [{ tool: 'mkdir', args: { path: 'projects/web' } }]],
    ['create the build directory', [{ tool: 'mkdir', args: { path: 'build' } }]],
    ['mkdir out', [{ tool: 'mkdir', args: { path: 'out' } }]],
    ['run `ls -la`', [run('ls -la')]],
    ['run: echo hi', [run('echo hi')]],
    ['Run the command "uname -a" and report the output', [run('uname -a')]],
    ['execute `date` and `whoami`', [run('date'), run('whoami')]],
    ['run: cd .. && ls', [run('cd .. && ls')]],
    ['delete old.txt', [run('rm -- old.txt')]],
    ['remove the folder build', [run('rm -r -- build')]],
    ['First, `pwd`. Then list files.', [run('pwd'), { tool: 'list_files', args: { path: '.' } }]],
    [
      'Create notes.txt with "a; b". Append "c" to it, then replace "a" with "z" in it and show it',
      [
        write('notes.txt', 'a; b\n'),
        write('notes.txt', 'c\n', true),
        { tool: 'edit_file', args: { path: 'notes.txt', find: 'a', replace: 'z' } },
        { tool: 'read_file', args: { path: 'notes.txt' } },
      ],
    ],
    [
      'create script.sh with content ```\necho one\necho two\n``` then run `bash script.sh`',
      [write('script.sh', 'echo one\necho two\n'), run('bash script.sh')],
    ],
  ];

  it.each(cases)('%s', (goal, actions) => {
    const plan = parseGoal(goal);
    expect(plan.unknown).toEqual([]);
    expect(plan.actions).toEqual(actions);
  });

  it('says what it did not understand instead of guessing', () => {
    expect(parseGoal('Write a poem about the sea')).toEqual({
      actions: [],
      unknown: ['Write a poem about the sea'],
    });
    expect(parseGoal('')).toEqual({ actions: [], unknown: [] });
    expect(parseGoal('create hello.py that prints hello').actions).toEqual([]);
    const partial = parseGoal('create a.txt with "x", then book me a flight to Rome');
    expect(partial.actions).toEqual([write('a.txt', 'x\n')]);
    expect(partial.unknown).toEqual(['book me a flight to Rome']);
  });

  it('takes apostrophes inside words as words, not quotes', () => {
    expect(parseGoal("create todo.txt with content don't forget the milk").actions).toEqual([
      write('todo.txt', "don't forget the milk\n"),
    ]);
  });
});
