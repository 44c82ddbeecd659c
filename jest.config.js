// Two projects so the level of a test is in its file name: *.unit.spec.ts never touches the network,
// *.int.spec.ts always talks to the real broker, registry and Postgres.
const { existsSync } = require('node:fs');
const { join } = require('node:path');
const { compilerOptions } = require('./tsconfig.base.json');

const moduleNameMapper = Object.fromEntries(
  Object.entries(compilerOptions.paths).map(([alias, [target]]) => [`^${alias}$`, `<rootDir>/${target}`]),
);
const transform = { '^.+\\.ts$': ['@swc/jest', { jsc: { target: 'es2022', parser: { syntax: 'typescript' } } }] };
const roots = ['libs', 'services', 'scripts', 'test'].filter((dir) => existsSync(join(__dirname, dir))).map((dir) => `<rootDir>/${dir}`);
const common = { rootDir: __dirname, testEnvironment: 'node', transform, moduleNameMapper, roots };

module.exports = {
  // Integration tests wait on real brokers; a project-level testTimeout is ignored by Jest.
  testTimeout: 60_000,
  projects: [
    { ...common, displayName: 'unit', testMatch: ['**/*.unit.spec.ts'] },
    {
      ...common,
      displayName: 'int',
      testMatch: ['**/*.int.spec.ts'],
      globalSetup: '<rootDir>/test/int-global-setup.ts',
    },
  ],
};
