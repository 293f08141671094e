// `varjepa embed <model> <table>`: stream a table through a saved model into a file (or stdout).
import { embedStream } from '../data/stream';
import { EMBEDDING_FORMATS, type EmbeddingFormat } from '../data/writers';
import { Progress } from '../progress';
import { UserError } from './errors';
import { openModel } from './table-model';
import type { DeviceOption } from '../model/options';

export interface EmbedCommandOptions {
  /** Where the model runs: 'auto' | 'cpu' | 'cuda' (default: 'auto'). */
  device?: DeviceOption;

  out?: string;
  format?: string;
  /** One character, or 'auto' (default). */
  delimiter?: string;
  pool?: 'features' | 'mean' | 'context';
  /** A column written first in every output row. */
  key?: string;
  unseen?: 'warn' | 'error';
  quiet?: boolean;
}

export async function runEmbed(modelPath: string, table: string, o: EmbedCommandOptions) {
  if (o.format !== undefined && !EMBEDDING_FORMATS.includes(o.format as EmbeddingFormat)) {
    throw new UserError(`--format: expected one of ${EMBEDDING_FORMATS.map((f) => `'${f}'`).join(', ')} but received '${o.format}'`);
  }
  if (!o.out && o.format && o.format !== 'csv' && o.format !== 'jsonl') throw new UserError(`--format ${o.format}: binary output needs --out <file> (stdout takes csv or jsonl)`);
  const format = o.format ?? (o.out ? undefined : 'csv');
  if (o.key !== undefined && (format === 'f32' || (format === undefined && o.out?.endsWith('.f32')))) throw new UserError(`--key: the f32 format holds numbers only; write csv, jsonl, arrow or arrow-stream to carry '${o.key}'`);
  const { model, preprocessor } = await openModel(modelPath, o.device);
  const progress = new Progress({ quiet: o.quiet || !o.out });
  try {
    const res = await embedStream(table, model, o.out ?? process.stdout, {
      preprocessor,
      delimiter: o.delimiter ?? 'auto',
      pool: o.pool,
      key: o.key,
      unseen: o.unseen,
      format: (o.format ?? (o.out ? undefined : 'csv')) as EmbeddingFormat | undefined,
      onProgress: (rows) => progress.update(`embed ${rows} rows`),
    });
    progress.done();
    for (const [col, n] of Object.entries(res.unseen ?? {})) console.error(`varjepa: warning: column '${col}' has ${n} cell${n === 1 ? '' : 's'} with a category the training rows did not have (embedded as unseen; --unseen error refuses them)`);
    return res;
  } finally {
    model.dispose();
  }
}
