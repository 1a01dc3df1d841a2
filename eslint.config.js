// Lint keeps the layering of DESIGN §3 honest: core/ imports only core/ (and pure libraries);
// wire/ (framing and msgpack shared by the node and the client) imports only core/; storage/ and
// runtime/ may import core/ and wire/; the client imports only core/ and wire/; nothing but tests
// and the simulator's own runner imports sim/.
import tseslint from 'typescript-eslint';

const nodeIo = ['fs', 'fs/promises', 'net', 'http', 'https', 'http2', 'dgram', 'dns', 'tls', 'os', 'child_process', 'worker_threads', 'timers', 'cluster', 'process'];
const restrict = (patterns, paths = []) => ['error', { patterns, paths }];
const layer = (names, message) => ({ group: names, message });

export default tseslint.config(
  { ignores: ['dist/**', 'node_modules/**', 'data/**', 'bench/results/**', '.tmp/**', 'web/vendor/**'] },
  ...tseslint.configs.recommended,
  {
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      'no-restricted-syntax': [
        'error',
        { selector: "SwitchStatement > SwitchCase[test=null] > ExpressionStatement > CallExpression[callee.name='assertNever']", message: 'use unreachable() from core/assert.ts' },
        // assert's message is evaluated on every call, failing or not (core/assert.ts).
        { selector: "CallExpression[callee.name='assert'] > TemplateLiteral.arguments:nth-child(2)[expressions.length>0]", message: 'a message with values is built on every call: use if (!invariant) assertFailed(`…`)' },
        { selector: "CallExpression[callee.name='assert'] > BinaryExpression.arguments:nth-child(2)", message: 'a message with values is built on every call: use if (!invariant) assertFailed(…)' },
        { selector: "CallExpression[callee.name='assert'] > CallExpression.arguments:nth-child(2)", message: 'a message with values is built on every call: use if (!invariant) assertFailed(…)' },
      ],
    },
  },
  {
    files: ['src/core/**/*.ts'],
    ignores: ['src/core/**/*.test.ts'],
    rules: {
      'no-restricted-imports': restrict(
        [
          layer(['**/storage/**', '**/runtime/**', '**/sim/**', '**/client/**', '**/cli/**'], 'core/ is pure: it may import only core/ (DESIGN §3)'),
          layer([...nodeIo, ...nodeIo.map((m) => `node:${m}`), 'lmdb', 'fastify', 'undici', 'pino'], 'core/ does no I/O (DESIGN §3)'),
        ],
      ),
      'no-restricted-globals': ['error', { name: 'setTimeout', message: 'core/ has no timers: use tick()' }, { name: 'setInterval', message: 'core/ has no timers' }, { name: 'process', message: 'core/ does not touch the process' }],
      'no-restricted-properties': ['error', { object: 'Date', property: 'now', message: 'core/ reads no clock: time comes in with step()' }, { object: 'Math', property: 'random', message: 'core/ draws no random numbers' }],
    },
  },
  {
    files: ['src/wire/**/*.ts'],
    ignores: ['src/wire/**/*.test.ts'],
    rules: { 'no-restricted-imports': restrict([layer(['**/storage/**', '**/runtime/**', '**/sim/**', '**/client/**', '**/cli/**'], 'wire/ may import only core/: the node and the client both use it')]) },
  },
  {
    files: ['src/storage/**/*.ts'],
    ignores: ['src/storage/**/*.test.ts'],
    rules: { 'no-restricted-imports': restrict([layer(['**/runtime/**', '**/sim/**', '**/client/**', '**/cli/**'], 'storage/ may import only core/ (DESIGN §3)')]) },
  },
  {
    files: ['src/runtime/**/*.ts'],
    ignores: ['src/runtime/**/*.test.ts'],
    rules: { 'no-restricted-imports': restrict([layer(['**/sim/**', '**/cli/**', '**/client/**'], 'runtime/ may import core/ and storage/ (DESIGN §3)')]) },
  },
  {
    files: ['src/client/**/*.ts'],
    ignores: ['src/client/**/*.test.ts'],
    rules: { 'no-restricted-imports': restrict([layer(['**/runtime/**', '**/storage/**', '**/sim/**', '**/cli/**'], 'the client may import only core/ and wire/')]) },
  },
  {
    // The simulator's reference model of versioning is written from the definitions, apart from
    // the core it judges (issue 13 §1): it imports nothing of the core.
    files: ['src/sim/model/**/*.ts'],
    ignores: ['src/sim/model/**/*.test.ts'],
    rules: { 'no-restricted-imports': restrict([layer(['**/core/**'], 'the reference model imports nothing of the core it judges')]) },
  },
  {
    // Checkers judge versions by the model, never by the core's version functions (types are data).
    files: ['src/sim/checkers/**/*.ts', 'src/sim/oracle.ts', 'src/sim/placement.ts', 'src/sim/read-repair.ts', 'src/sim/hint-delivery.ts'],
    ignores: ['src/sim/**/*.test.ts'],
    rules: {
      '@typescript-eslint/no-restricted-imports': [
        'error',
        { patterns: [{ group: ['**/core/version/**'], allowTypeImports: true, message: 'checkers judge versions with the reference model (src/sim/model), not the core' }] },
      ],
    },
  },
  {
    files: ['src/cli/**/*.ts'],
    rules: { 'no-restricted-imports': restrict([layer(['**/sim/**'], 'only tests and the simulator runner import sim/')]) },
  },
);
