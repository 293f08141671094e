// Shared pieces of the CLI commands that read a table and a model file.
import { readModelFile } from '../model/persist';
import { VarTJepa } from '../model/vartjepa';
import { DEVICE_OPTIONS, type DeviceOption } from '../model/options';
import { Preprocessor } from '../data/preprocess';

/** Thrown for mistakes the user can fix; the CLI prints the message and exits 1. */
export class UserError extends Error {}

/** A model file and the preprocessor saved with it. */
export async function openModel(path: string, device?: DeviceOption): Promise<{ model: VarTJepa; preprocessor: Preprocessor }> {
  const file = await readModelFile(path);
  if (file.preprocessor === undefined) {
    throw new UserError(`The model file '${path}' has no preprocessor: it was not written by 'varjepa fit' (save it with { preprocessor })`);
  }
  const preprocessor = Preprocessor.fromJSON(file.preprocessor);
  const model = await VarTJepa.load(path, device === undefined ? undefined : { device });
  return { model, preprocessor };
}

/** Parses --device. */
export function deviceOption(v: string | undefined): DeviceOption | undefined {
  if (v === undefined) return undefined;
  if (!(DEVICE_OPTIONS as readonly string[]).includes(v)) throw new UserError(`Expected one of ${DEVICE_OPTIONS.map((d) => `'${d}'`).join(', ')} for --device but received '${v}'`);
  return v as DeviceOption;
}

/** Parses a positive integer option. */
export function positiveInt(name: string, v: string, max = 1e9): number {
  const n = Number(v);
  if (!Number.isInteger(n) || n < 1 || n > max) throw new UserError(`Expected an integer between 1 and ${max} for ${name} but received '${v}'`);
  return n;
}
