import { hostLauncher } from '../launcher.js';

/**
 * Whether tests that run a real display (Xvfb and x11vnc) can run. In CI (HABITAT_REQUIRE_DOCKER=1, the switch that
 * says "this machine has everything") missing programs are a failure; elsewhere those tests are skipped, loudly.
 */
export async function displayToolsForTests(suite: string): Promise<boolean> {
  const missing: string[] = [];
  for (const program of ['Xvfb', 'x11vnc']) if (!(await hostLauncher.has(program))) missing.push(program);
  if (missing.length === 0) return true;
  const install = 'apt-get install -y xvfb x11vnc';
  if (process.env.HABITAT_REQUIRE_DOCKER === '1') {
    throw new Error(
      `${suite}: ${missing.join(' and ')} required (HABITAT_REQUIRE_DOCKER=1) but not on PATH: ${install}`,
    );
  }
  console.warn(
    `\n*** ${suite}: ${missing.join(' and ')} not installed, these tests are SKIPPED (${install}) ***\n`,
  );
  return false;
}
