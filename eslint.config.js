import js from '@eslint/js';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  { ignores: ['dist/', 'node_modules/', 'data/', 'coverage/', 'test-artifacts/'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    rules: {
      '@typescript-eslint/no-explicit-any': 'error',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_' }],
      'no-restricted-imports': 'off',
    },
  },
  {
    files: ['src/domain/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            'express',
            'soap',
            'knex',
            'pg',
            'better-sqlite3',
            '../mktows/*',
            '../soap-transport/*',
            '../salesforce/*',
            '../cli/*',
            '../data-access/*',
          ],
        },
      ],
    },
  },
  {
    files: ['src/data-access/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        // data-access implements the domain's ports: those (and the records they carry) only.
        {
          patterns: [
            'express',
            'soap',
            '../mktows/*',
            '../soap-transport/*',
            '../domain/*',
            '!../domain/ports.js',
            '!../domain/records.js',
            '../cli/*',
          ],
        },
      ],
    },
  },
);
