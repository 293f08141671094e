// The structure the code keeps: no import cycle among the files of lib/ (type-only imports
// included), so that every file can be read, tested and changed from the ground up.
import * as fs from 'fs';
import * as path from 'path';
import { describe, expect, it } from 'vitest';

const lib = path.resolve(__dirname, '..', 'lib');

function files(dir: string): string[] {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? files(path.join(dir, e.name)) : e.name.endsWith('.ts') ? [path.join(dir, e.name)] : []));
}

/** The lib/ files each file imports (relative imports and re-exports, type-only ones included). */
function importGraph(): Map<string, string[]> {
  const graph = new Map<string, string[]>();
  for (const f of files(lib)) {
    const src = fs.readFileSync(f, 'utf8');
    const targets = [...src.matchAll(/^\s*(?:import|export)\b[^'"]*?from\s+'(\.[^']+)'/gm)].map((m) => {
      const base = path.resolve(path.dirname(f), m[1]);
      return fs.existsSync(`${base}.ts`) ? `${base}.ts` : path.join(base, 'index.ts');
    });
    graph.set(f, [...new Set(targets)]);
  }
  return graph;
}

/** Every cycle found by a depth-first walk, as file lists relative to lib/. */
function cycles(graph: Map<string, string[]>): string[][] {
  const found: string[][] = [];
  const state = new Map<string, 'open' | 'done'>();
  const stack: string[] = [];
  const visit = (f: string) => {
    state.set(f, 'open');
    stack.push(f);
    for (const t of graph.get(f) ?? []) {
      if (state.get(t) === 'open') found.push(stack.slice(stack.indexOf(t)).map((x) => path.relative(lib, x)));
      else if (!state.has(t)) visit(t);
    }
    stack.pop();
    state.set(f, 'done');
  };
  for (const f of graph.keys()) if (!state.has(f)) visit(f);
  return found;
}

describe('lib/ structure', () => {
  it('reads the imports it checks (the graph is not empty)', () => {
    const g = importGraph();
    expect(g.get(path.join(lib, 'model', 'vartjepa.ts'))).toContain(path.join(lib, 'model', 'shell.ts'));
    expect(g.get(path.join(lib, 'model', 'load.ts'))).toContain(path.join(lib, 'model', 'tjepa.ts'));
  });

  it('has no import cycle', () => {
    expect(cycles(importGraph())).toEqual([]);
  });

  it('finds a cycle when there is one (the check itself)', () => {
    expect(cycles(new Map([['/a', ['/b']], ['/b', ['/c']], ['/c', ['/a']]]))).toEqual([[path.relative(lib, '/a'), path.relative(lib, '/b'), path.relative(lib, '/c')]]);
  });
});
