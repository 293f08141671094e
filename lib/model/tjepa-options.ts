// T-JEPA baseline hyper-parameters (MODEL.md section 10): the Var-T-JEPA options without the
// variational ones (pooling, ELBO weights and ramps, log-variance clamp), plus the predictor's
// auxiliary tokens and the EMA momentum range of the target encoder. Same masks, architecture,
// learning rate and warm-up as Var-T-JEPA, so the Table 7 presets apply too.
import { conflict, oneOf } from '../validate';
import { checkSharedFields, DEFAULT_OPTIONS, PRESET_NAMES, PRESETS, resolveFields, RULES, type PresetName, type Rule, type VarTJepaOptions } from './options';

/** The Var-T-JEPA options T-JEPA has no use for. */
export const VARIATIONAL_OPTIONS = ['pool', 'aRec', 'aGen', 'aSx', 'aZ', 'aSy', 'annealSx', 'annealZ', 'annealSy', 'logvarMin', 'logvarMax', 'decoderLogvarInit'] as const;
type Variational = (typeof VARIATIONAL_OPTIONS)[number];

/** Options of {@link TJepa}: those of {@link VarTJepaOptions} without the variational ones, plus: */
export interface TJepaOptions extends Omit<VarTJepaOptions, Variational> {
  /** Learnable auxiliary tokens N_aux in the predictor input (Eq. 57), 0..64; default 1 [decision]. */
  nAux?: number;
  /** EMA momentum of the target encoder at the first step, 0..1; default 0.996. */
  emaStart?: number;
  /** EMA momentum at the last step (rising linearly over the training steps), 0..1; default 1. */
  emaEnd?: number;
}

function withoutVariational<T extends object>(o: T): Omit<T, Variational> {
  const out = { ...o } as Record<string, unknown>;
  for (const k of VARIATIONAL_OPTIONS) delete out[k];
  return out as Omit<T, Variational>;
}

/** The defaults: the Adult row of Table 7 (shared fields), N_aux 1, momentum 0.996 -> 1. */
export const TJEPA_DEFAULT_OPTIONS: Readonly<Required<TJepaOptions>> = Object.freeze({
  ...withoutVariational(DEFAULT_OPTIONS),
  nAux: 1,
  emaStart: 0.996,
  emaEnd: 1,
});

const TJEPA_RULES: Readonly<Record<keyof TJepaOptions, Rule>> = {
  ...withoutVariational(RULES),
  nAux: ['int', 0, 64],
  emaStart: ['num', 0, 1],
  emaEnd: ['num', 0, 1],
};

/** The shared fields of a Table 7 row, merged over the T-JEPA defaults. */
export function tjepaPreset(name: PresetName): Required<TJepaOptions> {
  const p = oneOf('preset', name, PRESET_NAMES);
  return { ...TJEPA_DEFAULT_OPTIONS, ...withoutVariational(PRESETS[p] as VarTJepaOptions) };
}

/** Validates T-JEPA options (every field, then the rules between fields) and fills in defaults. */
export function resolveTJepaOptions(options: TJepaOptions | undefined, path = 'options'): Required<TJepaOptions> {
  const o = resolveFields(TJEPA_RULES, TJEPA_DEFAULT_OPTIONS, options, path) as Required<TJepaOptions>;
  checkSharedFields(o, path);
  if (o.emaStart > o.emaEnd) throw conflict(`${path}.emaStart (${o.emaStart}) must not exceed ${path}.emaEnd (${o.emaEnd})`);
  return o;
}
