// Shared pieces of the CLI commands that read a table and a model file.
import { readModelFile } from '../model/persist';
import { VarTJepa } from '../model/vartjepa';
import type { DeviceOption } from '../model/options';
import { Preprocessor } from '../data/preprocess';
import { UserError } from './errors';

export { UserError };

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
