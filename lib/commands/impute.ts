// `varjepa impute <model> <table>`: fills the missing cells of a table with draws from the
// model's generative path (docs/model.md, section 8). Each missing numeric cell gets the mean of the
// draws (in the column's original units) and their standard deviation as its spread; each
// missing categorical cell gets the most frequent drawn category and the share of draws that
// disagreed. Writes CSV (to a temporary name, renamed on success) or to stdout.
import * as fs from 'fs';

import { readTable } from '../data/sources';
import { signedExp, signedLog, type NumericState, type PreprocessorState } from '../data/preprocess';
import { openModel, UserError } from './table-model';
import type { DeviceOption } from '../model/options';

export interface ImputeOptions {
  /** Where the model runs: 'auto' | 'cpu' | 'cuda' (default: 'auto'). */
  device?: DeviceOption;

  draws: number;
  seed: number;
  out?: string;
}

export interface ImputeReport {
  rows: number;
  imputedCells: number;
  rowsWithoutObservedCells: number;
  draws: number;
  output: string | null;
}

/** A scaled numeric value back in the column's original units (inverse of the fitted scaling). */
export function unscale(v: number, f: NumericState, scaling: PreprocessorState['scaling']): number {
  if (scaling === 'minmax') return f.max > f.min ? v * (f.max - f.min) + f.min : f.min;
  if (scaling === 'standard') return f.std > 0 ? v * f.std + f.mean : f.mean;
  if (scaling === 'log') {
    const lo = signedLog(f.min), hi = signedLog(f.max);
    return hi > lo ? signedExp(v * (hi - lo) + lo) : f.min;
  }
  const q = f.quantiles;
  if (!q || q.length < 2) return f.mean;
  const pos = Math.min(Math.max(v, 0), 1) * (q.length - 1);
  const i = Math.min(Math.floor(pos), q.length - 2);
  return q[i] + (pos - i) * (q[i + 1] - q[i]);
}

function csvCell(s: string): string {
  return /[",\n\r]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

export async function runImpute(modelPath: string, table: string, o: ImputeOptions): Promise<ImputeReport> {
  const { model, preprocessor } = await openModel(modelPath, o.device);
  try {
    const state = preprocessor.toJSON();
    if (state.missing !== 'mask') {
      throw new UserError(`The model's preprocessor uses the '${state.missing}' policy, which marks no cell missing: fit with the default 'mask' policy to impute`);
    }
    const raw = await readTable(table);
    const enc = preprocessor.transform(raw);
    const D = enc.features, rows = enc.rows;
    const missing = enc.missing ?? new Uint8Array(rows * D);
    const observed = new Uint8Array(rows * D);
    let skipped = 0, cells = 0;
    const usable: number[] = [];
    for (let r = 0; r < rows; r++) {
      let obs = 0, miss = 0;
      for (let j = 0; j < D; j++) {
        observed[r * D + j] = missing[r * D + j] ? 0 : 1;
        obs += observed[r * D + j];
        miss += missing[r * D + j];
      }
      if (miss === 0) continue;
      if (obs === 0) skipped++;
      else {
        usable.push(r);
        cells += miss;
      }
    }
    // per missing cell: the filled text and its spread
    const filled = new Map<number, { text: string; spread: number }>();
    const chunk = 2048;
    for (let c0 = 0; c0 < usable.length; c0 += chunk) {
      const idx = usable.slice(c0, c0 + chunk);
      const x = new Float32Array(idx.length * D), obs = new Uint8Array(idx.length * D);
      idx.forEach((r, i) => {
        x.set(enc.x.subarray(r * D, r * D + D), i * D);
        obs.set(observed.subarray(r * D, r * D + D), i * D);
      });
      const g = await model.generate({ x, rows: idx.length }, obs, { draws: o.draws, seed: o.seed + c0 });
      idx.forEach((r, i) => {
        for (let j = 0; j < D; j++) {
          if (obs[i * D + j]) continue;
          const f = state.features[j];
          const vals = Array.from({ length: o.draws }, (_, d) => g.values[(d * idx.length + i) * D + j]);
          if (f.kind === 'numeric') {
            const u = vals.map((v) => unscale(v, f, state.scaling));
            const mean = u.reduce((s, v) => s + v, 0) / u.length;
            const sd = Math.sqrt(u.reduce((s, v) => s + (v - mean) ** 2, 0) / u.length);
            filled.set(r * D + j, { text: String(Number(mean.toPrecision(7))), spread: Number(sd.toPrecision(4)) });
          } else {
            // code 0 means "unseen or missing": a real category is the answer
            const counts = new Map<number, number>();
            for (const v of vals) if (v > 0) counts.set(v, (counts.get(v) ?? 0) + 1);
            let best = 1, bestN = 0;
            for (const [k, n] of counts) if (n > bestN || (n === bestN && k < best)) [best, bestN] = [k, n];
            if (bestN === 0) {
              // every draw said 'unseen': take the most probable real category on average
              const off = g.categoryOffsets[j];
              let bp = -1;
              for (let k = 1; k < f.categories.length; k++) {
                let p = 0;
                for (let d = 0; d < o.draws; d++) p += g.probs[(d * idx.length + i) * g.probsPerRow + off + k];
                if (p > bp) [bp, best] = [p, k];
              }
            }
            filled.set(r * D + j, { text: f.categories[best] ?? '', spread: Number((1 - bestN / vals.length).toFixed(4)) });
          }
        }
      });
    }
    // write the features with the filled cells and a spread column per feature that had any
    const colIndex = new Map(raw.columns.map((c, i) => [c.name, i]));
    const withMissing = state.features.map((_, j) => {
      for (let r = 0; r < rows; r++) if (missing[r * D + j]) return true;
      return false;
    });
    const header = state.features.flatMap((f, j) => (withMissing[j] ? [f.name, `${f.name}_spread`] : [f.name]));
    const lines: string[] = [header.map(csvCell).join(',')];
    for (let r = 0; r < rows; r++) {
      const cellsOut: string[] = [];
      state.features.forEach((f, j) => {
        const col = raw.columns[colIndex.get(f.name)!];
        const fill = filled.get(r * D + j);
        const rawText = col.text?.[r] ?? (Number.isNaN(col.num[r]) ? '' : String(col.num[r]));
        cellsOut.push(csvCell(fill ? fill.text : rawText));
        if (withMissing[j]) cellsOut.push(fill ? String(fill.spread) : '');
      });
      lines.push(cellsOut.join(','));
    }
    const text = lines.join('\n') + '\n';
    if (o.out) {
      const tmp = `${o.out}.tmp-${process.pid}`;
      try {
        fs.writeFileSync(tmp, text);
        fs.renameSync(tmp, o.out);
      } catch (err) {
        fs.rmSync(tmp, { force: true });
        throw new UserError(`Could not write '${o.out}': ${(err as Error).message}`);
      }
    } else {
      process.stdout.write(text);
    }
    return { rows, imputedCells: cells, rowsWithoutObservedCells: skipped, draws: o.draws, output: o.out ?? null };
  } finally {
    model.dispose();
  }
}
