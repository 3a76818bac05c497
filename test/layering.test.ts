import { ESLint } from 'eslint';
import { describe, expect, it } from 'vitest';

// The lint rule that enforces ARCHITECTURE.md's layering table must really fail on a violation.
const eslint = new ESLint({ cwd: new URL('..', import.meta.url).pathname });

async function violations(file: string, code: string): Promise<string[]> {
  const [result] = await eslint.lintText(code, { filePath: file });
  return (result?.messages ?? []).filter((m) => m.severity === 2).map((m) => m.ruleId ?? m.message);
}

describe('layering lint rule', () => {
  const forbidden: [string, string][] = [
    ['renderer/src/bad.ts', "import { Kernel } from '../../kernel/index.js';\nexport { Kernel };\n"],
    ['renderer/src/bad.ts', "import { readFileSync } from 'node:fs';\nexport { readFileSync };\n"],
    ['renderer/src/bad.ts', "import { ipcRenderer } from 'electron';\nexport { ipcRenderer };\n"],
    ['kernel/bad.ts', "import { app } from 'electron';\nexport { app };\n"],
    [
      'kernel/bad.ts',
      "import { RUNTIME_PROVIDERS } from '../runtime/index.js';\nexport { RUNTIME_PROVIDERS };\n",
    ],
    ['runtime/bad.ts', "import { EventBus } from '../kernel/events/EventBus.js';\nexport { EventBus };\n"],
    ['main/bad.ts', "import { EventBus } from '../kernel/events/EventBus.js';\nexport { EventBus };\n"],
    // the light entry is its index alone
    [
      'main/bad.ts',
      "import { dataDirLayout } from '../kernel/datadir/layout.js';\nexport { dataDirLayout };\n",
    ],
    ['shared/bad.ts', "import { join } from 'path';\nexport { join };\n"],
    ['shared/bad.ts', 'export const pid = process.pid;\n'],
    ['preload/bad.ts', "import { Kernel } from '../kernel/index.js';\nexport { Kernel };\n"],
  ];
  for (const [file, code] of forbidden) {
    it(`refuses ${code.split('\n')[0]} in ${file.split('/')[0]}/`, async () => {
      const found = await violations(file, code);
      expect(found.some((rule) => rule === 'no-restricted-imports' || rule === 'no-restricted-globals')).toBe(
        true,
      );
    });
  }

  it('allows what the table allows', async () => {
    expect(
      await violations('main/ok.ts', "import { Kernel } from '../kernel/index.js';\nexport { Kernel };\n"),
    ).toEqual([]);
    expect(
      await violations('runtime/ok.ts', "import { Kernel } from '../kernel/index.js';\nexport { Kernel };\n"),
    ).toEqual([]);
    // the CLI finds the data folder without loading the kernel
    expect(
      await violations(
        'main/cli/ok.ts',
        "import { defaultDataDir } from '../../kernel/datadir/index.js';\nexport { defaultDataDir };\n",
      ),
    ).toEqual([]);
    expect(await violations('renderer/src/ok.ts', "import { z } from 'zod';\nexport { z };\n")).toEqual([]);
    expect(
      await violations('kernel/ok.ts', "import { readFileSync } from 'node:fs';\nexport { readFileSync };\n"),
    ).toEqual([]);
  });
});
