import { describe, expect, it } from 'vitest';

import { VARTJEPA_DEFAULTS, PRESET_NAMES, preset, resolveVarTJepaOptions } from '../lib/model/options';
import { cardinalities } from '../lib/model/schema';

describe('VarTJepa options', () => {
  it('defaults to the Adult row of Table 7', () => {
    const o = resolveVarTJepaOptions(undefined);
    expect(o).toEqual(VARTJEPA_DEFAULTS);
    expect([o.batchSize, o.lr, o.warmup, o.ctxMin, o.ctxMax, o.trgMin, o.trgMax, o.masks, o.d, o.layers, o.heads, o.ff]).toEqual([512, 1e-3, 10, 0.1, 0.3, 0.1, 0.6, 4, 64, 8, 4, 256]);
    expect([o.dropout, o.dP, o.headsP, o.ffP, o.dropoutP, o.aSx, o.aZ, o.aSy, o.annealSx, o.aRec, o.aGen]).toEqual([0.001, 16, 4, 256, 0.002, 1e-4, 1e-6, 1e-5, 15, 0.1, 1]);
  });

  it('offers every Table 7 row as a preset', () => {
    expect(PRESET_NAMES).toEqual(['adult', 'covertype', 'electricity', 'credit_default', 'bank_marketing', 'mnist', 'sim']);
    expect(preset('covertype')).toMatchObject({ lr: 5e-4, heads: 8, ff: 64, annealSx: 60, annealSy: 20, aGen: 0.5 });
    expect(preset('mnist')).toMatchObject({ batchSize: 256, dP: 32, ff: 128, annealZ: 100 });
    expect(preset('sim')).toMatchObject({ layers: 16, heads: 2, trgMax: 0.8 });
    expect(() => preset('iris' as never)).toThrow(
      new RangeError("Expected one of 'adult', 'covertype', 'electricity', 'credit_default', 'bank_marketing', 'mnist', 'sim' for preset but received 'iris' (string)"),
    );
  });

  it.each([
    [{ heads: 0 }, new RangeError('Expected an integer between 1 and 64 for options.heads but received 0 (number)')],
    [{ heads: 65 }, new RangeError('Expected an integer between 1 and 64 for options.heads but received 65 (number)')],
    [{ heads: 2.5 }, new RangeError('Expected an integer between 1 and 64 for options.heads but received 2.5 (number)')],
    [{ heads: '4' }, new TypeError("Expected an integer between 1 and 64 for options.heads but received '4' (string)")],
    [{ d: 0 }, new RangeError('Expected an integer between 1 and 4096 for options.d but received 0 (number)')],
    [{ dropout: 1 }, new RangeError('Expected a number between 0 and 0.99 for options.dropout but received 1 (number)')],
    [{ dropout: -0.1 }, new RangeError('Expected a number between 0 and 0.99 for options.dropout but received -0.1 (number)')],
    [{ lr: Number.NaN }, new RangeError('Expected a number between 0 and 10 for options.lr but received NaN (number)')],
    [{ lr: Infinity }, new RangeError('Expected a number between 0 and 10 for options.lr but received Infinity (number)')],
    [{ batchSize: 0 }, new RangeError('Expected an integer between 1 and 65536 for options.batchSize but received 0 (number)')],
    [{ masks: 65 }, new RangeError('Expected an integer between 1 and 64 for options.masks but received 65 (number)')],
    [{ ctxMax: 1.5 }, new RangeError('Expected a number between 0 and 1 for options.ctxMax but received 1.5 (number)')],
    [{ seed: -1 }, new RangeError(`Expected an integer between 0 and ${Number.MAX_SAFE_INTEGER} for options.seed but received -1 (number)`)],
    [{ isa: 'sse' }, new RangeError("Expected one of 'auto', 'scalar', 'avx2', 'avx512' for options.isa but received 'sse' (string)")],
    [{ d: 30, heads: 4 }, new RangeError('options.d (30) must be divisible by options.heads (4)')],
    [{ dP: 10, headsP: 4 }, new RangeError('options.dP (10) must be divisible by options.headsP (4)')],
    [{ ctxMin: 0.5, ctxMax: 0.3 }, new RangeError('options.ctxMin (0.5) must not exceed options.ctxMax (0.3)')],
    [{ trgMin: 0.7 }, new RangeError('options.trgMin (0.7) must not exceed options.trgMax (0.6)')],
    [{ logvarMin: 0, logvarMax: 0 }, new RangeError('options.logvarMin (0) must be below options.logvarMax (0)')],
  ])('rejects %j', (opts, err) => {
    expect(() => resolveVarTJepaOptions(opts as never)).toThrow(err);
  });

  it('accepts the boundaries', () => {
    expect(resolveVarTJepaOptions({ heads: 1, d: 1, dropout: 0, masks: 64, ctxMin: 0, ctxMax: 1, lr: 0 })).toMatchObject({ heads: 1, d: 1, masks: 64 });
    expect(resolveVarTJepaOptions({ heads: 64, d: 4096 })).toMatchObject({ heads: 64 });
  });

  it('names unknown options', () => {
    expect(() => resolveVarTJepaOptions({ hidden: 3 } as never)).toThrow(/Unknown option options.hidden; known options: d, layers/);
  });

  it('validates the schema', () => {
    expect(() => cardinalities({ features: [{ name: 'a', kind: 'numeric' }] })).toThrow(
      new RangeError('Expected at least 2 features for schema.features but received Array of length 1'),
    );
    expect(() => cardinalities({ features: [{ name: 'a', kind: 'numeric' }, { name: 'b', kind: 'categorical', categories: 1 }] })).toThrow(
      new RangeError('Expected an integer between 2 and 1000000 for schema.features[1].categories but received 1 (number)'),
    );
    expect(() => cardinalities({ features: [{ name: 'a', kind: 'numeric' }, { name: 'a', kind: 'numeric' }] })).toThrow(
      new RangeError("Duplicate feature name 'a' at schema.features[1].name"),
    );
    expect(() => cardinalities({ features: [{ name: 'a', kind: 'numeric' }, { name: 'b', kind: 'text' as never }] })).toThrow(
      new RangeError("Expected one of 'numeric', 'categorical' for schema.features[1].kind but received 'text' (string)"),
    );
    expect(Array.from(cardinalities({ features: [{ name: 'a', kind: 'numeric' }, { name: 'b', kind: 'categorical', categories: ['?', 'x', 'y'] }] }))).toEqual([0, 3]);
  });
});
