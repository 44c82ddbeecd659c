import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { brokenLinks, headingAnchors, markdownFiles, markdownLinks } from './markdownLinks';

const repoRoot = resolve(__dirname, '..', '..');

describe('every relative link in the Markdown of the repository', () => {
  const files = markdownFiles(repoRoot);

  it('finds the README, the guides and the service READMEs, and nothing under node_modules', () => {
    expect(files).toEqual(expect.arrayContaining(['README.md', 'docs/architecture.md', 'docs/bus.md', 'services/cli/README.md']));
    expect(files.filter((f) => f.includes('node_modules') || f.startsWith('.'))).toEqual([]);
  });

  it('resolves to a file inside the repository, and to a heading when it names one', () => {
    expect(files.flatMap((file) => brokenLinks(repoRoot, file))).toEqual([]);
    const checked = files.flatMap((file) => markdownLinks(readFileSync(join(repoRoot, file), 'utf8')));
    expect(checked.length).toBeGreaterThan(10);
  });
});

describe('brokenLinks', () => {
  let root: string;
  beforeAll(() => {
    root = mkdtempSync(join(tmpdir(), 'links-'));
    mkdirSync(join(root, 'docs'));
    writeFileSync(join(root, 'docs', 'guide.md'), '# Guide\n\n## Consumer groups and `fromBeginning`\n\n## Notes\n\n## Notes\n');
    writeFileSync(join(root, 'logo.png'), '');
  });
  afterAll(() => rmSync(root, { recursive: true, force: true }));

  const check = (markdown: string) => {
    writeFileSync(join(root, 'README.md'), markdown);
    return brokenLinks(root, 'README.md').map((b) => `${b.line}: ${b.target}: ${b.reason}`);
  };

  it('passes links to files, folders, headings and images that exist, and leaves external links alone', () => {
    const markdown = [
      '# Top',
      'See [the guide](docs/guide.md), [its groups](docs/guide.md#consumer-groups-and-frombeginning),',
      '[the second Notes](./docs/guide.md#notes-1), [docs](docs/), [up](#top) and ![logo](logo.png "Logo").',
      '[site](https://example.org/missing.md) [mail](mailto:a@b.c)',
      '[ref]: docs/guide.md',
    ].join('\n');
    expect(check(markdown)).toEqual([]);
  });

  it('reports a missing file, a missing heading, an escape from the repository and a broken image, by line', () => {
    const markdown = [
      'The design: [seed](../shared/seed/event-driven-architecture.md).',
      'See [the guide](docs/gide.md) and [groups](docs/guide.md#consumer-group).',
      '![diagram](docs/diagram.svg)',
      '[ref]: docs/missing.md',
      '[here](#nowhere)',
    ].join('\n');
    expect(check(markdown)).toEqual([
      '1: ../shared/seed/event-driven-architecture.md: points outside the repository',
      '2: docs/gide.md: no such file',
      '2: docs/guide.md#consumer-group: no heading #consumer-group',
      '3: docs/diagram.svg: no such file',
      '4: docs/missing.md: no such file',
      '5: #nowhere: no heading #nowhere',
    ]);
  });

  it('ignores what is written inside code', () => {
    expect(check('```md\n[x](missing.md)\n```\nRun `[x](missing.md)` as is.')).toEqual([]);
  });
});

describe('headingAnchors', () => {
  it('makes the anchors GitHub makes', () => {
    expect([...headingAnchors('## An existing Kafka cluster with SASL/SCRAM and TLS\n### The `agentbus` CLI\n# Notes\n# Notes\n```\n# not a heading\n```')]).toEqual([
      'an-existing-kafka-cluster-with-saslscram-and-tls',
      'the-agentbus-cli',
      'notes',
      'notes-1',
    ]);
  });
});
