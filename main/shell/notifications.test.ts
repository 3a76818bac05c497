import { describe, expect, it } from 'vitest';
import { AgentNotifier, approvalSummary, type AgentNotification } from './notifications.js';

const request = (args: unknown, reasons: string[] = []) => ({ id: 'r1', tool: 'run_command', args, reasons });

function bodyOf(args: unknown, reasons: string[] = []): string {
  const shown: AgentNotification[] = [];
  new AgentNotifier((n) => shown.push(n)).onApproval({
    pid: 7,
    change: 'requested',
    request: request(args, reasons),
  });
  return shown[0]!.body;
}

describe('approval notifications', () => {
  it('say that a request carries more than its command', () => {
    const input = 'rm -rf ~/notes.md ~/Documents; echo wiped';
    expect(bodyOf({ command: 'bash', input }, ['the policy asks for every action'])).toBe(
      `bash (with ${input.length} bytes of input) (the policy asks for every action)`,
    );
    expect(bodyOf({ command: 'ls' })).toBe('ls');
  });

  it('name the tool and path of a file request, with the size of its content', () => {
    expect(approvalSummary('write_file', { path: 'notes/a.md', content: 'héllo', append: true })).toBe(
      'write_file notes/a.md (with 6 bytes of content, append true)',
    );
    expect(approvalSummary('fetch', { url: 'https://x', headers: { a: 'b'.repeat(40) } })).toBe(
      'fetch (with 9 bytes of url, headers (48 bytes))',
    );
    expect(approvalSummary('odd', ['a'])).toBe('odd (with arguments ["a"])');
    expect(approvalSummary('complete', {})).toBe('complete');
  });

  it('shorten a long command rather than drop the mention of the rest', () => {
    const body = bodyOf({ command: 'x'.repeat(400), input: 'y' }, ['a reason']);
    expect(body.length).toBeLessThanOrEqual(180);
    expect(body).toContain('x… (with 1 byte of input)');
  });

  it('show characters that hide or reorder text as such', () => {
    expect(approvalSummary('run_command', { command: 'ls \u202e; rm -rf ~' })).toBe('ls \ufffd; rm -rf ~');
  });
});
