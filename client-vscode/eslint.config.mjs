import js from '@eslint/js';
import globals from 'globals';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  { ignores: ['dist/', 'out/', 'node_modules/', '.e2e-cache/', 'test-results/', '.vscode-test/'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    files: ['src/pure/**/*.ts', 'test/**/*.ts'],
    rules: {
      // Pure modules run under plain Node in the unit tests: no editor API.
      'no-restricted-imports': ['error', { paths: ['vscode', 'vscode-languageclient', 'vscode-languageclient/node'] }],
    },
  },
  {
    files: ['e2e/**/*.mjs', 'scripts/**/*.mjs', 'esbuild.mjs'],
    languageOptions: { globals: globals.node },
  },
);
