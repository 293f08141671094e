// Shared pieces of the CLI commands that read a table and a model file.
import { VarTJepa } from '../model/vartjepa';
import type { DeviceOption } from '../model/options';
import { Preprocessor } from '../data/preprocess';
import { UserError } from './errors';

export { UserError };

/** A model file and the preprocessor saved with it (the file is read once). */
export async function openModel(path: string, device?: DeviceOption): Promise<{ model: VarTJepa; preprocessor: Preprocessor }> {
  const model = await VarTJepa.load(path, device === undefined ? undefined : { device });
  if (model.preprocessor === undefined) {
    model.dispose();
    throw new UserError(`The model file '${path}' has no preprocessor: it was not written by 'varjepa fit' (construct the model with its preprocessor, or save it with { preprocessor })`);
  }
  return { model, preprocessor: model.preprocessor };
}
