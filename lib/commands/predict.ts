// `varjepa predict <model> <table>`: the class of every row from the head saved with the model
// (fitted by `varjepa fit --target`), its confidence and the class probabilities, optionally
// withholding the least certain rows (--abstain). Reads the table, predicts in chunks (bounded
// memory for the embeddings), writes CSV to a file (temporary name, renamed on success) or stdout.
import * as fs from 'fs';

import { readTable, sliceTable } from '../data/sources';
import type { DeviceOption } from '../model/options';
import { Progress } from '../progress';
import { UserError } from './errors';
import { openModel } from './table-model';

export interface PredictCommandOptions {
  device?: DeviceOption;
  out?: string;
  /** Withhold this share of rows (0..1), the least confident. */
  abstain?: number;
  /** A column written first in every output row. */
  key?: string;
  delimiter?: string;
  unseen?: 'warn' | 'error';
  quiet?: boolean;
}

export interface PredictReport {
  rows: number;
  classes: string[];
  /** Rows withheld (with --abstain). */
  withheld?: number;
  threshold?: number;
  output: string | null;
  unseen?: Record<string, number>;
}

/** Rows per predict call: the embeddings of a chunk are what memory holds. */
const CHUNK = 8192;

function cell(t: string): string {
  return /[",\n\r]/.test(t) ? `"${t.replace(/"/g, '""')}"` : t;
}

export async function runPredict(modelPath: string, table: string, o: PredictCommandOptions): Promise<PredictReport> {
  const { model } = await openModel(modelPath, o.device);
  const progress = new Progress({ quiet: o.quiet || !o.out });
  let tmp: string | undefined;
  try {
    const head = model.head;
    if (!head) throw new UserError(`The model file '${modelPath}' has no prediction head: fit it with 'varjepa fit --target <column>'`);
    const raw = await readTable(table, { delimiter: o.delimiter ?? 'auto' });
    const keyCol = o.key === undefined ? undefined : raw.columns.find((c) => c.name === o.key);
    if (o.key !== undefined && !keyCol) throw new UserError(`--key: the table has no column '${o.key}'; its columns are ${raw.columns.map((c) => `'${c.name}'`).join(', ')}`);
    const names = head.classNames ?? Array.from({ length: head.classes }, (_, k) => String(k));
    const header = [...(o.key !== undefined ? [o.key] : []), 'prediction', 'confidence', ...(o.abstain !== undefined ? ['withheld'] : []), ...names.map((n) => `p_${n}`)];
    const chunks: string[] = [header.map(cell).join(',') + '\n'];
    let withheld = 0, threshold: number | undefined;
    const unseen: Record<string, number> = {};
    for (let r0 = 0; r0 < raw.rows; r0 += CHUNK) {
      const part = sliceTable(raw, r0, Math.min(raw.rows, r0 + CHUNK));
      const p = await model.predict(part, { abstain: o.abstain, unseen: o.unseen });
      threshold = p.threshold;
      for (const [c, n] of Object.entries(p.unseen ?? {})) unseen[c] = (unseen[c] ?? 0) + n;
      const lines: string[] = [];
      for (let i = 0; i < p.rows; i++) {
        const key = keyCol ? [cell(keyCol.text?.[r0 + i] ?? (Number.isNaN(keyCol.num[r0 + i]) ? '' : String(keyCol.num[r0 + i])))] : [];
        const w = p.withheld ? [String(p.withheld[i])] : [];
        withheld += p.withheld?.[i] ?? 0;
        const probs = Array.from(p.probabilities.subarray(i * p.classes, (i + 1) * p.classes), (v) => String(Number(v.toPrecision(6))));
        lines.push([...key, cell(names[p.predicted[i]]), String(Number(p.confidence[i].toPrecision(6))), ...w, ...probs].join(','));
      }
      chunks.push(lines.join('\n') + (lines.length ? '\n' : ''));
      progress.update(`predict ${Math.min(raw.rows, r0 + CHUNK)}/${raw.rows} rows`);
    }
    progress.done();
    for (const [c, n] of Object.entries(unseen)) console.error(`varjepa: warning: column '${c}' has ${n} cell${n === 1 ? '' : 's'} with a category the training rows did not have (embedded as unseen; --unseen error refuses them)`);
    if (o.out) {
      tmp = `${o.out}.tmp-${process.pid}`;
      fs.writeFileSync(tmp, chunks.join(''));
      fs.renameSync(tmp, o.out);
      tmp = undefined;
    } else {
      for (const c of chunks) process.stdout.write(c);
    }
    return {
      rows: raw.rows, classes: names, output: o.out ?? null,
      ...(o.abstain !== undefined ? { withheld, threshold } : {}),
      ...(Object.keys(unseen).length ? { unseen } : {}),
    };
  } finally {
    if (tmp) fs.rmSync(tmp, { force: true });
    model.dispose();
  }
}
