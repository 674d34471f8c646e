// ESLint: type-aware rules (typescript-eslint) on the TypeScript, eslint-plugin-svelte on the pages.
// Formatting is Prettier's (npm run format:check), not ESLint's.
import js from '@eslint/js';
import globals from 'globals';
import svelte from 'eslint-plugin-svelte';
import tseslint from 'typescript-eslint';
import svelteConfig from './web/svelte.config.js';

export default tseslint.config(
  { ignores: ['node_modules/', 'web/dist/', '.data/', 'tests/artifacts/', 'docs/', '**/*.d.ts'] },
  js.configs.recommended,
  ...tseslint.configs.recommendedTypeChecked,
  ...svelte.configs.recommended,
  {
    languageOptions: {
      globals: { ...globals.node, ...globals.browser },
      parserOptions: {
        projectService: { allowDefaultProject: ['*.js', 'web/*.js', 'web/public/*.js'] },
        tsconfigRootDir: import.meta.dirname,
        extraFileExtensions: ['.svelte'],
      },
    },
  },
  // Plain JavaScript (configs, the service worker) has no types to check against.
  { files: ['**/*.js'], ...tseslint.configs.disableTypeChecked },
  {
    files: ['**/*.svelte'],
    languageOptions: { parserOptions: { parser: tseslint.parser, svelteConfig } },
  },
  // Rune modules are TypeScript ($state() is a typed call): read with full type information.
  { files: ['**/*.svelte.ts'], languageOptions: { parser: tseslint.parser } },
  {
    // vitest's asymmetric matchers (expect.any, objectContaining...) are typed `any`, and tests read
    // what they sent back with JSON.parse: the no-unsafe rules would flag every assertion.
    files: ['tests/**', '**/*.test.ts'],
    rules: {
      '@typescript-eslint/no-unsafe-assignment': 'off',
      '@typescript-eslint/no-unsafe-member-access': 'off',
      '@typescript-eslint/no-unsafe-return': 'off',
      '@typescript-eslint/no-unsafe-argument': 'off',
    },
  },
  {
    // Components' props reach the linter untyped (svelte-check type-checks the pages, in npm test).
    files: ['**/*.svelte'],
    rules: {
      '@typescript-eslint/no-unsafe-assignment': 'off',
      '@typescript-eslint/no-unsafe-member-access': 'off',
      '@typescript-eslint/no-unsafe-return': 'off',
      '@typescript-eslint/no-unsafe-argument': 'off',
      '@typescript-eslint/no-unsafe-call': 'off',
    },
  },
  {
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      // The rune classes keep private bookkeeping in plain Maps and publish their state explicitly
      // (console-live.svelte.ts applies a thousand patients' readings to plain objects, then renders
      // once a frame): a reactive map there would re-render on every reading.
      'svelte/prefer-svelte-reactivity': 'off',
      // An async function without await is how a handler meets an interface that wants a promise
      // (Fastify's routes and hooks, the SFU's request handlers); a forgotten await is caught by
      // no-floating-promises and no-misused-promises instead.
      '@typescript-eslint/require-await': 'off',
    },
  },
);
