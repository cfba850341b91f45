// The source layout keeps its promises: no import cycles among the TypeScript modules (type-only
// imports included: each is a dependency a reader must follow), the runtime imports nothing from
// the compiler, and package.json's entry points (main, types, exports) name the same built API.
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, normalize, relative } from 'node:path';
import { describe, expect, it } from 'vitest';
import { REPO_ROOT } from '../helpers/shared.js';

const SOURCE_ROOTS = ['api.ts', 'ir', 'compiler', 'codegen', 'runtime-vm', 'ort', 'tools'];

function tsFiles(p: string): string[] {
  if (!statSync(p).isDirectory()) return p.endsWith('.ts') ? [p] : [];
  return readdirSync(p).flatMap((e) => tsFiles(join(p, e)));
}

/** module -> the modules it imports by relative path (repository-relative, .ts). */
function importGraph(): Map<string, string[]> {
  const g = new Map<string, string[]>();
  for (const abs of SOURCE_ROOTS.flatMap((r) => tsFiles(join(REPO_ROOT, r)))) {
    const file = relative(REPO_ROOT, abs);
    const src = readFileSync(abs, 'utf8');
    const specs = [...src.matchAll(/^(?:import|export)\b[^;]*?(?:from\s+)?'(\.[^']+)'/gms)].map((m) => m[1]!);
    g.set(file, specs.map((s) => normalize(join(dirname(file), s.replace(/\.js$/, '.ts')))));
  }
  return g;
}

/** The strongly connected components with more than one module (Tarjan), each sorted. */
function cycles(g: ReadonlyMap<string, readonly string[]>): string[][] {
  let next = 0;
  const index = new Map<string, number>(), low = new Map<string, number>(), stack: string[] = [];
  const out: string[][] = [];
  const visit = (v: string): void => {
    index.set(v, next); low.set(v, next++); stack.push(v);
    for (const w of g.get(v) ?? []) {
      if (!g.has(w)) continue;
      if (!index.has(w)) { visit(w); low.set(v, Math.min(low.get(v)!, low.get(w)!)); }
      else if (stack.includes(w)) low.set(v, Math.min(low.get(v)!, index.get(w)!));
    }
    if (low.get(v) !== index.get(v)) return;
    const scc: string[] = [];
    for (let w = stack.pop()!; ; w = stack.pop()!) { scc.push(w); if (w === v) break; }
    if (scc.length > 1) out.push(scc.sort());
  };
  for (const v of g.keys()) if (!index.has(v)) visit(v);
  return out;
}

describe('source layout', () => {
  const graph = importGraph();

  it('finds the modules and their imports', () => {
    expect(graph.get('codegen/llvm/stmt.ts')).toContain('codegen/llvm/loops.ts');
    expect(cycles(new Map([['a.ts', ['b.ts']], ['b.ts', ['a.ts']], ['c.ts', ['a.ts']]])))
      .toEqual([['a.ts', 'b.ts']]);
  });

  it('has no import cycles', () => {
    expect(cycles(graph)).toEqual([]);
  });

  it('keeps the runtime free of compiler imports', () => {
    const bad = [...graph].filter(([f]) => f.startsWith('runtime-vm/'))
      .flatMap(([f, deps]) => deps.filter((d) => !d.startsWith('runtime-vm/')).map((d) => `${f} -> ${d}`));
    expect(bad).toEqual([]);
  });

  it('package.json main, types and exports agree', () => {
    const pkg = JSON.parse(readFileSync(join(REPO_ROOT, 'package.json'), 'utf8'));
    const root = pkg.exports['.'];
    expect(root.default).toBe(pkg.main);
    expect(root.types).toBe(pkg.types);
    expect(pkg.main).toBe('./dist/api.js');
    expect(pkg.types).toBe(pkg.main.replace(/\.js$/, '.d.ts'));
    const entries = Object.entries(pkg.exports as Record<string, { types: string; default: string }>);
    for (const [name, entry] of entries) {
      expect(entry.types, name).toBe(entry.default.replace(/\.js$/, '.d.ts'));
    }
    expect(pkg.exports['./ort'].default).toBe('./dist/ort/index.js');
  });
});
