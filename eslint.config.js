// @ts-check
import { builtinModules } from 'node:module';
import js from '@eslint/js';
import globals from 'globals';
import tseslint from 'typescript-eslint';

// The layering table of ARCHITECTURE.md, enforced: each folder lists what it must never import.
const nodeBuiltins = [...builtinModules, ...builtinModules.map((m) => `node:${m}`)];
const layer = (name) => ({
  group: [`**/${name}`, `**/${name}/**`],
  message: `this layer may not import ${name}/ (ARCHITECTURE.md, Layers)`,
});
// `light` entries are public too: small modules a client may load without the whole layer (the CLI finds the data
// folder through kernel/datadir without loading SQLite, Docker and terminal code it does not need).
const publicSurfaceOnly = (name, light = []) => ({
  group: [
    `**/${name}/**`,
    `!**/${name}/index.js`,
    // gitignore rules: a file comes back only once its folder has
    ...light.flatMap((entry) => [
      `!**/${name}/${entry}`,
      `**/${name}/${entry}/*`,
      `!**/${name}/${entry}/index.js`,
    ]),
  ],
  message: `import ${name}/ only through its public surface, ${name}/index.js${light.map((e) => ` or ${name}/${e}/index.js`).join('')}`,
});
const noElectron = { name: 'electron', message: 'electron may be imported only in main/ and preload/' };
const noNode = nodeBuiltins.map((name) => ({
  name,
  message: 'Node modules are not available in this layer',
}));
const noReact = ['react', 'react-dom'].map((name) => ({ name, message: 'React belongs to renderer/' }));
const nodeGlobals = ['process', 'Buffer', 'require', '__dirname', '__filename', 'global'].map((name) => ({
  name,
  message: 'shared/ runs in every runtime: no Node globals',
}));
const domGlobals = ['window', 'document', 'localStorage', 'sessionStorage', 'navigator'].map((name) => ({
  name,
  message: 'shared/ runs in every runtime: no DOM globals',
}));

const restrict = (paths, patterns) => ({ 'no-restricted-imports': ['error', { paths, patterns }] });

export default tseslint.config(
  { ignores: ['out/**', 'dist/**', 'node_modules/**', 'test-results/**', 'playwright-report/**', '.tmp/**'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: { globals: { ...globals.node }, ecmaVersion: 2023, sourceType: 'module' },
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@typescript-eslint/consistent-type-imports': 'error',
    },
  },
  {
    files: ['shared/**/*.ts'],
    rules: {
      ...restrict(
        [noElectron, ...noNode, ...noReact],
        ['kernel', 'runtime', 'main', 'preload', 'renderer'].map(layer),
      ),
      'no-restricted-globals': ['error', ...nodeGlobals, ...domGlobals],
    },
  },
  {
    files: ['kernel/**/*.ts'],
    rules: restrict([noElectron, ...noReact], ['runtime', 'main', 'preload', 'renderer'].map(layer)),
  },
  {
    files: ['runtime/**/*.ts'],
    rules: restrict(
      [noElectron, ...noReact],
      [...['main', 'preload', 'renderer'].map(layer), publicSurfaceOnly('kernel')],
    ),
  },
  {
    files: ['main/**/*.ts'],
    rules: restrict(
      [...noReact],
      [
        layer('renderer'),
        layer('preload'),
        publicSurfaceOnly('kernel', ['datadir']),
        publicSurfaceOnly('runtime'),
      ],
    ),
  },
  {
    files: ['preload/**/*.ts'],
    languageOptions: { globals: { ...globals.browser } },
    rules: restrict([...noNode, ...noReact], ['kernel', 'runtime', 'main', 'renderer'].map(layer)),
  },
  {
    files: ['renderer/**/*.{ts,tsx}'],
    languageOptions: { globals: { ...globals.browser } },
    rules: restrict([noElectron, ...noNode], ['kernel', 'runtime', 'main', 'preload'].map(layer)),
  },
);
