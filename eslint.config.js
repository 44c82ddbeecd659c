// Flat config. The module-boundary rule is the point: core and domain code stay free of I/O
// libraries, and every project is reached only through its index.ts.
const nx = require('@nx/eslint-plugin');
const tseslint = require('typescript-eslint');

const brokerAndDbLibraries = ['kafkajs', '@kafkajs/*', 'pg', 'knex', 'avsc'];
const ioLibraries = [...brokerAndDbLibraries, 'pino', 'pino-pretty'];

const allowed = {
  // core: the envelope and errors everything shares.
  'type:core': ['type:core'],
  'type:util': ['type:core', 'type:util'],
  // domain: pure decide/evolve code; time and lookups are passed in.
  'type:domain': ['type:core', 'type:util', 'type:domain'],
  'type:adapter': ['type:core', 'type:util', 'type:domain', 'type:adapter'],
  'type:testing': ['type:core', 'type:util', 'type:domain', 'type:adapter'],
  'type:service': ['type:core', 'type:util', 'type:domain', 'type:adapter'],
  'type:tooling': ['type:core', 'type:util', 'type:domain', 'type:adapter', 'type:testing'],
};
const banned = { 'type:core': ioLibraries, 'type:util': brokerAndDbLibraries, 'type:domain': ioLibraries };

const boundaries = (extraForTests) => [
  'error',
  {
    enforceBuildableLibDependency: false,
    allow: [],
    // libs/testing builds on libs/kafka, libs/bus and libs/identity, whose own integration tests use libs/testing.
    ...(extraForTests.length ? { ignoredCircularDependencies: [['kafka', 'testing'], ['bus', 'testing'], ['identity', 'testing']] } : {}),
    depConstraints: Object.entries(allowed).map(([sourceTag, tags]) => ({
      sourceTag,
      onlyDependOnLibsWithTags: [...tags, ...extraForTests],
      ...(banned[sourceTag] ? { bannedExternalImports: banned[sourceTag] } : {}),
    })),
  },
];

module.exports = tseslint.config(
  { ignores: ['**/node_modules/**', '**/dist/**', '.agentbus/**', '.nx/**', 'coverage/**', 'bench/results/**', '**/*.generated.ts'] },
  ...tseslint.configs.recommended,
  {
    files: ['**/*.ts', '**/*.js'],
    plugins: { '@nx': nx },
    rules: {
      '@nx/enforce-module-boundaries': boundaries([]),
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
    },
  },
  {
    // Tests (and their support files) may use the shared test helpers; production code may not.
    files: ['**/*.spec.ts', '**/*.spec-support.ts'],
    rules: { '@nx/enforce-module-boundaries': boundaries(['type:testing']) },
  },
  {
    files: ['**/*.js', '**/*.cjs'],
    rules: { '@typescript-eslint/no-require-imports': 'off' },
  },
);
