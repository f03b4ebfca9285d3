// Vitest runs the unit tests of the front end's pure modules (tests/unit) in Node; the
// browser tests (tests/*.test.mjs) are node --test's, driving Chromium.
import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['tests/unit/**/*.test.ts'],
    environment: 'node',
  },
});
