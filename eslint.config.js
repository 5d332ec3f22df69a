// ESLint for the browser app (make lint-js): ES modules served as they are,
// run in the browser. The import rules keep README's architecture: every
// imported name exists, and no module imports one that imports it back
// (tests/test_js_architecture.py checks the cycles too, without node).
import js from '@eslint/js';
import importPlugin from 'eslint-plugin-import';
import globals from 'globals';

export default [
  js.configs.recommended,
  {
    files: ['static/js/**/*.js'],
    languageOptions: {
      ecmaVersion: 2022,
      sourceType: 'module',
      globals: { ...globals.browser },
    },
    plugins: { import: importPlugin },
    settings: { 'import/extensions': ['.js'] },
    rules: {
      'no-unused-vars': ['error', { args: 'none', caughtErrors: 'none' }],
      'no-console': 'error', // a user never sees the console: say it on the page
      'no-var': 'error',
      'prefer-const': 'error',
      eqeqeq: ['error', 'always', { null: 'ignore' }],
      'no-implicit-globals': 'error',
      'no-shadow': 'off',
      'import/named': 'error', // an imported name that the module does not export
      'import/namespace': 'error',
      'import/default': 'error',
      'import/export': 'error',
      'import/no-unresolved': 'error',
      'import/no-cycle': 'error',
      'import/no-self-import': 'error',
      'import/no-duplicates': 'error',
      'import/first': 'error',
      'import/extensions': ['error', 'always'], // the browser loads './x.js', never './x'
    },
  },
  {
    files: ['eslint.config.js'],
    languageOptions: { sourceType: 'module', globals: { ...globals.node } },
  },
];
