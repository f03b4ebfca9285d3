// ESLint for the front end, the browser tests and the scripts (npm test runs it).
// TypeScript gets typescript-eslint's type-checked rules (they read tsconfig.json, so the
// wasm-bindgen output www/pkg must exist: scripts/build-wasm.sh makes it); JavaScript gets
// ESLint's recommended rules. Formatting is Prettier's business, not ESLint's.
import js from '@eslint/js';
import { defineConfig, globalIgnores } from 'eslint/config';
import globals from 'globals';
import tseslint from 'typescript-eslint';

export default defineConfig(
  globalIgnores(['www/pkg/', 'www/src/generated/', 'dist/', '.tools/', 'target/', 'tests/.artifacts/']),
  js.configs.recommended,
  {
    files: ['**/*.ts'],
    extends: [tseslint.configs.recommendedTypeChecked],
    languageOptions: {
      parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname },
    },
    rules: {
      // An unused argument named _x is deliberate (a callback's required signature).
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', caughtErrors: 'none' }],
    },
  },
  {
    files: ['www/src/**/*.ts'],
    languageOptions: { globals: globals.browser },
  },
  {
    files: ['vite.config.ts', 'vitest.config.ts', 'tests/unit/**/*.ts'],
    languageOptions: { globals: globals.node },
  },
  {
    // Node scripts and browser tests; the functions they hand to page.evaluate run in the page.
    files: ['**/*.js', '**/*.mjs'],
    languageOptions: { globals: { ...globals.node, ...globals.browser } },
  },
  {
    files: ['www/public/sw.js'],
    languageOptions: { globals: globals.serviceworker },
  },
);
