import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { createProgram } from './program';

const repoRoot = resolve(__dirname, '..', '..', '..');
const commands = createProgram().commands.map((command) => command.name());

describe.each([['README.md'], ['services/cli/README.md']])('%s', (file) => {
  const text = readFileSync(resolve(repoRoot, file), 'utf8');

  it('shows every command `agentbus --help` lists', () => {
    expect(commands.length).toBeGreaterThan(5);
    expect(commands.filter((name) => !text.includes(`npx agentbus ${name}`))).toEqual([]);
  });
});
