import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve, sep } from 'node:path';

export interface MarkdownLink {
  readonly line: number;
  /** The target as written, e.g. `docs/bus.md#subscriptions`. */
  readonly target: string;
}

export interface BrokenLink extends MarkdownLink {
  /** The Markdown file, relative to the repository root. */
  readonly file: string;
  readonly reason: string;
}

const skippedDirectories = new Set(['node_modules', 'dist', 'coverage', 'tmp']);

/** Every Markdown file of the repository, its own only: no dependencies, build output or dot-folders (`.agentbus`, `.nx`, `.git`). */
export const markdownFiles = (root: string): string[] => {
  const found: string[] = [];
  const walk = (dir: string) => {
    for (const entry of readdirSync(dir, { withFileTypes: true })) {
      if (entry.name.startsWith('.') || skippedDirectories.has(entry.name)) continue;
      const path = join(dir, entry.name);
      if (entry.isDirectory()) walk(path);
      else if (entry.isFile() && entry.name.endsWith('.md')) found.push(relative(root, path));
    }
  };
  walk(root);
  return found.sort();
};

/** The lines of a Markdown text with fenced code blocks blanked, so line numbers stay. */
const outsideFences = (markdown: string): string[] => {
  let fence: string | undefined;
  return markdown.split('\n').map((line) => {
    const opener = /^\s*(`{3,}|~{3,})/.exec(line)?.[1];
    if (fence) {
      if (opener && opener[0] === fence[0] && opener.length >= fence.length) fence = undefined;
      return '';
    }
    if (opener) fence = opener;
    return opener ? '' : line;
  });
};

const withoutInlineCode = (line: string): string => line.replace(/(`+)[^`]*?\1/g, '');

const isExternal = (target: string): boolean => /^[a-z][a-z\d+.-]*:/i.test(target) || target.startsWith('//');

/** Inline links and images (`[text](target)`, `![alt](target "title")`) and reference definitions (`[id]: target`), external ones left out. */
export const markdownLinks = (markdown: string): MarkdownLink[] => {
  const links: MarkdownLink[] = [];
  outsideFences(markdown).forEach((line, index) => {
    const text = withoutInlineCode(line);
    const targets = [
      ...[...text.matchAll(/\]\(\s*(<[^>]*>|[^)\s]+)(?:\s+["'(][^)]*)?\)/g)].map((m) => m[1]!),
      ...[...text.matchAll(/^\s{0,3}\[[^\]]+\]:\s*(<[^>]*>|\S+)/g)].map((m) => m[1]!),
    ];
    for (const raw of targets) {
      const target = raw.replace(/^<|>$/g, '');
      if (target.length > 0 && !isExternal(target)) links.push({ line: index + 1, target });
    }
  });
  return links;
};

/** GitHub's anchor for a heading: lower case, punctuation dropped, spaces to hyphens, repeats numbered. */
export const headingAnchors = (markdown: string): Set<string> => {
  const anchors = new Set<string>();
  const seen = new Map<string, number>();
  for (const line of outsideFences(markdown)) {
    const heading = /^\s{0,3}#{1,6}\s+(.*?)\s*#*\s*$/.exec(line)?.[1];
    if (heading === undefined) continue;
    const text = heading.replace(/!?\[([^\]]*)\]\([^)]*\)/g, '$1');
    const slug = text
      .toLowerCase()
      .replace(/[^\p{L}\p{N}\s_-]/gu, '')
      .replace(/\s/g, '-');
    const count = seen.get(slug) ?? 0;
    seen.set(slug, count + 1);
    anchors.add(count === 0 ? slug : `${slug}-${count}`);
  }
  return anchors;
};

/** The links of one Markdown file that lead nowhere: outside the repository, to a missing file, or to a heading that is not there. */
export const brokenLinks = (root: string, file: string): BrokenLink[] => {
  const read = (path: string) => readFileSync(path, 'utf8');
  const absoluteRoot = resolve(root);
  const source = resolve(absoluteRoot, file);
  const broken: BrokenLink[] = [];
  for (const link of markdownLinks(read(source))) {
    const [pathPart, anchor] = link.target.split('#', 2) as [string, string | undefined];
    const path = decodeURIComponent(pathPart);
    const target = path === '' ? source : path.startsWith('/') ? join(absoluteRoot, path) : resolve(dirname(source), path);
    const fail = (reason: string) => broken.push({ ...link, file, reason });
    if (target !== absoluteRoot && !target.startsWith(absoluteRoot + sep)) fail('points outside the repository');
    else if (!existsSync(target)) fail('no such file');
    else if (anchor && target.endsWith('.md') && statSync(target).isFile() && !headingAnchors(read(target)).has(decodeURIComponent(anchor).toLowerCase())) fail(`no heading #${anchor}`);
  }
  return broken;
};
