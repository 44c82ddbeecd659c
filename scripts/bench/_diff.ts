import { readFileSync } from 'node:fs';
const load = (f: string) => {
  const p = JSON.parse(readFileSync(f, 'utf8'));
  const byId = new Map<number, any>(p.nodes.map((n: any) => [n.id, n]));
  const self = new Map<string, number>();
  p.samples.forEach((id: number, i: number) => {
    const n = byId.get(id); const k = `${n.callFrame.functionName || '(anon)'} ${n.callFrame.url.replace(/.*\/(node_modules|libs)\//, '$1/')}:${n.callFrame.lineNumber}`;
    self.set(k, (self.get(k) ?? 0) + (p.timeDeltas[i] ?? 0) / 1000);
  });
  return self;
};
const a = load(process.argv[2]!), b = load(process.argv[3]!);
const keys = new Set([...a.keys(), ...b.keys()]);
const rows = [...keys].map((k) => [k, (a.get(k) ?? 0) - (b.get(k) ?? 0)] as const).sort((x, y) => y[1] - x[1]);
for (const [k, d] of rows.slice(0, 35)) console.log(d.toFixed(0).padStart(6), 'ms', k);
