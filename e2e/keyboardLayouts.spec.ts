import { expect, test } from './fixtures.js';
import { openDesktop } from './helpers.js';

// On Windows AltGr arrives as Ctrl+Alt: Polish AltGr+N types "ń" and must not open Deploy; Ctrl+Alt+N still does.
test('AltGr characters are typed, not taken for desktop shortcuts', async ({ page, host }) => {
  await openDesktop(page, host);
  const missionControl = page.locator('[data-testid="window"][data-kind="missionControl"]');
  const windowsBefore = await missionControl.count();
  await page.keyboard.press('Control+k');
  const field = page.getByRole('dialog', { name: 'Smart Bar' }).getByRole('combobox');
  await expect(field).toBeFocused();
  // what Chromium on Windows sends for AltGr+N on a Polish keyboard, then for AltGr+M held as AltGraph
  // (a string: this file is type-checked without the DOM's types)
  const prevented = await page.evaluate<boolean[]>(`
    [
      { key: 'ń', code: 'KeyN', ctrlKey: true, altKey: true },
      { key: 'µ', code: 'KeyM', ctrlKey: true, altKey: true, modifierAltGraph: true },
    ].map((init) => {
      const event = new KeyboardEvent('keydown', { ...init, bubbles: true, cancelable: true });
      document.activeElement.dispatchEvent(event);
      return event.defaultPrevented;
    })
  `);
  // left to the field (a synthetic event inserts nothing, but nothing stopped it either), and no shortcut ran
  expect(prevented).toEqual([false, false]);
  await expect(page.getByRole('dialog', { name: 'Deploy an agent' })).toHaveCount(0);
  await expect(missionControl).toHaveCount(windowsBefore);
  await page.keyboard.press('Escape');
  await page.keyboard.press('Control+Alt+n');
  await expect(page.getByRole('dialog', { name: 'Deploy an agent' })).toBeVisible();
});
