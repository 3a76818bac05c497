import { expect, test } from './fixtures.js';
import { bridge, openDesktop, screenshot, spawnMany, windowOf } from './helpers.js';

// Each main view in both themes, for people to look at (test-results/screens/view-*.png).
for (const theme of ['dark', 'light'] as const) {
  test(`the main views in the ${theme} theme`, async ({ page, host }) => {
    test.setTimeout(120_000);
    const agents = await spawnMany(host, 7, (i) => ({
      name: ['researcher', 'writer', 'indexer', 'reviewer', 'tester', 'planner', 'builder'][i],
      // shown as each card's purpose; a goal would set the offline planner to work and end the agent
      role: [
        'Survey recent papers on agent sandboxes',
        'Draft the weekly report',
        'Index the shared documents',
        'Review the draft for errors',
        'Run the test suite every hour',
        'Plan the next sprint',
        'Build the release image',
      ][i],
    }));
    const client = await bridge(host);
    try {
      for (const [i, agent] of agents.entries()) {
        const lines = [
          'ls -la ~ && uname -sr',
          'for i in 1 2 3; do echo "section $i drafted"; done',
          'find / -maxdepth 1 -type d | head -8',
          'echo "reviewing draft.md"; wc -w /etc/services',
          'seq 1 5 | while read n; do echo "test $n ok"; done',
          'date; echo planning',
          'echo building; printf "layer %s done\\n" 1 2 3',
        ];
        await client.call('pty.input', { terminal: agent.terminal!, data: `${lines[i]}\n` });
      }
      await client.call('process.signal', { pid: agents[3]!.pid, signal: 'STOP' });
      await client.call('process.signal', { pid: agents[6]!.pid, signal: 'KILL' });
      await client.call('process.exec', {
        pid: agents[0]!.pid,
        argv: ['sh', '-c', 'printf "# Findings\\n\\n- sandboxes matter\\n" > Documents/findings.md'],
      });
    } finally {
      client.close();
    }
    await page.emulateMedia({ colorScheme: theme });
    await openDesktop(page, host);
    await expect(page.locator('html')).toHaveAttribute('data-theme', theme);
    const mc = windowOf(page, 'missionControl');
    await mc.getByRole('button', { name: 'Maximise' }).click();
    await expect(page.getByTestId('agent-card').first().getByTestId('terminal-preview')).toContainText(
      'agent@',
    );
    await page.waitForTimeout(1500);
    await screenshot(page, `view-mission-control-${theme}`);
    await mc.getByRole('button', { name: 'Restore' }).click();

    await page.keyboard.press('Control+k');
    await page.keyboard.type('research');
    await screenshot(page, `view-smart-bar-${theme}`);
    await page.keyboard.press('Enter');
    const vm = windowOf(page, 'agentVm');
    await expect(vm.locator('.xterm-rows')).toContainText('agent@');
    await page.waitForTimeout(500);
    await screenshot(page, `view-agent-terminal-${theme}`);

    await vm.getByRole('tab', { name: 'Files' }).click();
    await vm.getByRole('button', { name: 'Documents', exact: true }).click();
    await vm.getByRole('button', { name: 'findings.md', exact: true }).click();
    await expect(vm.locator('.cm-content')).toContainText('Findings');
    await screenshot(page, `view-agent-files-${theme}`);

    await vm.getByRole('tab', { name: 'Logs' }).click();
    await screenshot(page, `view-agent-logs-${theme}`);
    await vm.getByRole('tab', { name: 'Controls' }).click();
    await screenshot(page, `view-agent-controls-${theme}`);
    await vm.getByRole('button', { name: 'Close' }).click();

    await page.getByTestId('dock-monitor').click();
    await page.keyboard.press('Control+Alt+ArrowUp');
    await page.waitForTimeout(500);
    await screenshot(page, `view-system-monitor-${theme}`);
    await page.keyboard.press('Control+Alt+KeyW');

    await page.getByTestId('dock-settings').click();
    await windowOf(page, 'settings').getByRole('tab', { name: 'Images' }).click();
    await page.waitForTimeout(1000);
    await screenshot(page, `view-settings-${theme}`);

    await page.getByTestId('dock-deploy').click();
    await screenshot(page, `view-deploy-${theme}`);
  });
}
