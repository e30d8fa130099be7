import tseslint from 'typescript-eslint';

// One `no-restricted-imports` entry per layer: flat config replaces a rule's options per file, so each
// layer lists everything it may not import. Dependencies point one way: webview → shared ← core ← app ← host.
const noVscode = { name: 'vscode', message: 'core, app, shared and webview code must not depend on the VS Code API.' };
const browserOnly = { group: ['node:*', 'vscode'], message: 'shared and webview code runs in a browser: no Node or VS Code imports.' };

// src/host holds only adapters to the VS Code API: a file there that never imports vscode is
// vscode-free logic in the wrong folder (it belongs in src/app, where mocha can test it).
const layers = {
  rules: {
    'host-imports-vscode': {
      meta: { type: 'suggestion', schema: [], messages: { move: 'This src/host file does not import vscode: move it to src/app (host files only adapt the VS Code API).' } },
      create(context) {
        return {
          Program(program) {
            const importsVscode = program.body.some((node) => node.type === 'ImportDeclaration' && node.source.value === 'vscode');
            if (!importsVscode) context.report({ node: program, messageId: 'move' });
          },
        };
      },
    },
  },
};

export default tseslint.config(
  { ignores: ['dist/**', 'node_modules/**', '.e2e/**', '.vscode-test/**', '*.vsix'] },
  ...tseslint.configs.recommended,
  {
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_' }],
    },
  },
  {
    // The engine runs without VS Code and knows nothing of the layers built on it.
    files: ['src/core/**'],
    rules: {
      'no-restricted-imports': ['error', {
        paths: [noVscode],
        patterns: [{ regex: '(^|/)(app|host|webview)(/|$)', message: 'core may import only core and shared.' }],
      }],
    },
  },
  {
    // The orchestration layer is vscode-free; src/host adapts it, never the other way round.
    files: ['src/app/**'],
    rules: {
      'no-restricted-imports': ['error', {
        paths: [noVscode],
        patterns: [{ regex: '(^|/)(host|webview)(/|$)', message: 'app may not import host or webview code (move the vscode-free piece into app).' }],
      }],
    },
  },
  {
    // The public API's types are copied by other extensions as they are: they import nothing.
    files: ['src/api/**'],
    rules: {
      'no-restricted-imports': ['error', { patterns: [{ regex: '.', message: 'src/api must stay self-contained so other extensions can copy it.' }] }],
    },
  },
  {
    files: ['src/host/**'],
    plugins: { layers },
    rules: { 'layers/host-imports-vscode': 'error' },
  },
  {
    // Shared code runs in the webview too and depends on nothing but itself.
    files: ['src/shared/**'],
    rules: {
      'no-restricted-imports': ['error', {
        patterns: [browserOnly, { regex: '^\\.\\./', message: 'shared code may import only other shared files.' }],
      }],
    },
  },
  {
    // The webview is browser code that talks to the host only through the shared protocol.
    files: ['src/webview/**'],
    rules: {
      'no-restricted-imports': ['error', {
        patterns: [browserOnly, { regex: '^\\.\\./(?!shared/)', message: 'the webview may import only ../shared.' }],
      }],
    },
  },
);
