// ESLint flat config: the recommended JavaScript and typescript-eslint rules plus kestrel's two
// layout limits (110 columns, 500 lines a file, comments included) over the TypeScript sources, the
// tests, the benchmarks and the scripts. native/ is C++: scripts/check-native-layout.mjs checks it.
import js from '@eslint/js';
import globals from 'globals';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  { ignores: ['dist/**', 'native/build/**', 'native/build-aarch64/**', 'node_modules/**',
    'docs/api-html/**'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: { globals: globals.node },
    rules: {
      'max-len': ['error', { code: 110, tabWidth: 2 }],
      'max-lines': ['error', { max: 500 }],
      // `_name` marks a binding kept for its position (a destructured field dropped on purpose).
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
    },
  },
);
