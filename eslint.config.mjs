import tseslint from 'typescript-eslint';

export default tseslint.config(
  { ignores: ['dist/**', 'node_modules/**', '.e2e/**', '.vscode-test/**', '*.vsix'] },
  ...tseslint.configs.recommended,
  {
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_' }],
    },
  },
  {
    // The engine, the orchestration layer and the shared code must run without VS Code: the boundary enforces itself here.
    files: ['src/core/**', 'src/app/**', 'src/shared/**', 'src/webview/**'],
    rules: {
      'no-restricted-imports': ['error', { paths: [{ name: 'vscode', message: 'core, app, shared and webview code must not depend on the VS Code API.' }] }],
    },
  },
  {
    // Shared code also runs in the webview, so it may not use Node built-ins.
    files: ['src/shared/**', 'src/webview/**'],
    rules: {
      'no-restricted-imports': ['error', { patterns: [{ group: ['node:*', 'vscode'], message: 'shared and webview code runs in a browser: no Node or VS Code imports.' }] }],
    },
  },
);
