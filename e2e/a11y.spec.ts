import AxeBuilder from '@axe-core/playwright';
import type { Page } from '@playwright/test';
import { expect, test } from './fixtures.js';
import { bridge, openDesktop, spawnMany, windowOf } from './helpers.js';

// axe-core checks each main view, in both themes, against WCAG 2.1 A and AA. A serious or critical violation fails
// the test; moderate and minor ones are printed and added to the report (annotations) for people to look at.
// No rule is disabled.
const TAGS = ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa'];
const FAILING = new Set(['serious', 'critical']);

interface Finding {
  view: string;
  rule: string;
  impact: string;
  help: string;
  target: string;
  summary: string;
}

/** Audits the page as it is now; an element already found wanting (in an earlier view) is reported once. */
async function audit(page: Page, view: string, findings: Finding[]): Promise<void> {
  // transitions settle first: axe reads colours as they are painted
  await page.waitForTimeout(300);
  const { violations, passes } = await new AxeBuilder({ page }).withTags(TAGS).analyze();
  // an audit that checked nothing would pass anything
  expect(passes.length, `axe ran no check on ${view}`).toBeGreaterThan(10);
  for (const v of violations) {
    for (const node of v.nodes) {
      const target = node.target.join(' ');
      if (findings.some((f) => f.rule === v.id && f.target === target)) continue;
      findings.push({
        view,
        rule: v.id,
        impact: node.impact ?? v.impact ?? 'unknown',
        help: v.help,
        target,
        summary: (node.failureSummary ?? '').replace(/\s+/g, ' '),
      });
    }
  }
}

function describe(findings: Finding[]): string {
  return findings
    .map((f) => `[${f.impact}] ${f.view}: ${f.rule} (${f.help}) at ${f.target}: ${f.summary}`)
    .join('\n');
}

for (const theme of ['dark', 'light'] as const) {
  test(`the main views have no serious accessibility violations in the ${theme} theme`, async ({
    page,
    host,
  }) => {
    test.setTimeout(240_000);
    const agents = await spawnMany(host, 4, (i) => ({
      name: ['surveyor', 'drafter', 'checker', 'builder'][i],
      role: ['Survey the papers', 'Draft the report', 'Check the draft', 'Build the image'][i],
    }));
    const client = await bridge(host);
    try {
      await client.call('pty.input', { terminal: agents[0]!.terminal!, data: 'ls -la ~; echo ready\n' });
      await client.call('process.exec', {
        pid: agents[0]!.pid,
        argv: ['sh', '-c', 'printf "# Notes\\n\\n- sandboxes matter\\n" > notes.md'],
      });
      await client.call('process.signal', { pid: agents[2]!.pid, signal: 'STOP' });
      await client.call('process.signal', { pid: agents[3]!.pid, signal: 'KILL' });
    } finally {
      client.close();
    }
    const findings: Finding[] = [];
    await page.emulateMedia({ colorScheme: theme });
    await openDesktop(page, host);
    await expect(page.locator('html')).toHaveAttribute('data-theme', theme);

    // Mission Control: the grid, the list, the archive
    const mc = windowOf(page, 'missionControl');
    await expect(page.getByTestId('agent-card')).toHaveCount(3);
    await expect(page.getByTestId('agent-card').first().getByTestId('terminal-preview')).toContainText(
      'ready',
    );
    await audit(page, 'Mission Control grid', findings);
    await mc.getByRole('button', { name: 'List' }).click();
    await expect(page.getByTestId('agent-row')).toHaveCount(3);
    await audit(page, 'Mission Control list', findings);
    await page.getByTestId('mc-archive').click();
    await expect(page.getByTestId('agent-row')).toHaveCount(1);
    await audit(page, 'Mission Control archive (list)', findings);
    await mc.getByRole('button', { name: 'Grid' }).click();
    await expect(page.getByTestId('agent-card')).toHaveCount(1);
    await audit(page, 'Mission Control archive (grid)', findings);
    await mc.getByRole('button', { name: /^Live/ }).click();

    // the Deploy dialog
    await page.getByTestId('dock-deploy').click();
    const deploy = page.getByRole('dialog', { name: /Deploy/ });
    await expect(deploy).toBeVisible();
    await audit(page, 'Deploy dialog', findings);
    await page.keyboard.press('Escape');
    await expect(deploy).toBeHidden();

    // the Smart Bar, with results
    await page.keyboard.press('Control+k');
    const bar = page.getByRole('dialog', { name: 'Smart Bar' });
    await expect(bar).toBeVisible();
    await page.keyboard.type('surv');
    await expect(bar.getByRole('option', { selected: true })).toContainText('surveyor');
    await audit(page, 'Smart Bar', findings);
    await page.keyboard.press('Enter');

    // the Agent VM's tabs
    const vm = windowOf(page, 'agentVm');
    await expect(vm.locator('.xterm-rows')).toContainText('ready');
    await audit(page, 'Agent VM terminal', findings);
    await vm.getByRole('tab', { name: 'Files' }).click();
    await expect(vm.getByTestId('file-row').first()).toBeVisible();
    await audit(page, 'Agent VM files', findings);
    await vm.getByRole('button', { name: 'notes.md', exact: true }).click();
    await expect(vm.locator('.cm-content')).toContainText('Notes');
    await audit(page, 'Agent VM files, a file open', findings);
    await vm.getByRole('tab', { name: 'Logs' }).click();
    await expect(vm.getByTestId('log-entry').first()).toBeVisible();
    await audit(page, 'Agent VM logs', findings);
    await vm.getByRole('tab', { name: 'Controls' }).click();
    await audit(page, 'Agent VM controls', findings);
    await vm.getByRole('button', { name: 'Close' }).click();

    // the apps: Files, the System Monitor, Settings (each of its tabs)
    await page.getByTestId('dock-files').click();
    const files = windowOf(page, 'files');
    await files.getByLabel('Agent').selectOption(String(agents[0]!.pid));
    await expect(files.getByTestId('file-row').first()).toBeVisible();
    await audit(page, 'Files app', findings);
    await files.getByRole('button', { name: 'Close' }).click();

    await page.getByTestId('dock-monitor').click();
    const monitor = windowOf(page, 'monitor');
    await expect(monitor.locator('[data-testid="process-table"] tr[data-pid]').first()).toBeVisible();
    await audit(page, 'System Monitor', findings);
    await monitor.getByRole('button', { name: 'Close' }).click();

    await page.getByTestId('dock-settings').click();
    const settings = windowOf(page, 'settings');
    const tabs = settings.getByRole('tab');
    await expect(tabs.first()).toBeVisible();
    for (const name of await tabs.allInnerTexts()) {
      await settings.getByRole('tab', { name: name.trim() }).click();
      await audit(page, `Settings: ${name.trim()}`, findings);
    }

    for (const f of findings.filter((f) => !FAILING.has(f.impact))) {
      console.log(`a11y (${theme}) [${f.impact}] ${f.view}: ${f.rule} at ${f.target}`);
      test
        .info()
        .annotations.push({ type: `a11y ${f.impact}`, description: `${f.view}: ${f.rule} at ${f.target}` });
    }
    const failing = findings.filter((f) => FAILING.has(f.impact));
    expect(failing.length, describe(failing)).toBe(0);
  });
}
