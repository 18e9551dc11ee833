import js from '@eslint/js';
import tseslint from 'typescript-eslint';

// Which module may import which (the layers, SQL and transport libraries) is said once, in
// .dependency-cruiser.cjs (npm run lint:deps): no import rule is repeated here.
export default tseslint.config(
  { ignores: ['dist/', 'node_modules/', 'data/', 'coverage/', 'test-artifacts/'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    rules: {
      '@typescript-eslint/no-explicit-any': 'error',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_' }],
    },
  },
  {
    // A file of the service does one job: past 400 lines it is doing two, and is split.
    files: ['src/**/*.ts'],
    rules: { 'max-lines': ['error', { max: 400 }] },
  },
);
