// The demo's claims on the SIM-like table: the relative surprise (the predictor's KL per left-out
// feature over 16 context views, each feature's divided by its mean over training rows) picks out
// the rows the generator made ambiguous, and setting them aside raises the accuracy; every
// result is printed beside its baseline in plain sentences, negative ones said as such. The
// few-labels and imputation comparisons are reported, not asserted (the demo's small model
// does not beat the raw columns or the median there, and says so). One run: about a minute on two cores.
import { describe, expect, it } from 'vitest';

import { formatDemo, runDemo } from '../lib/commands/demo';

describe('varjepa demo', () => {
  it('flags the ambiguous rows, and says every result beside its baseline', async () => {
    const r = await runDemo({ quiet: true });
    expect(r.epochs).toBe(50);
    expect(r.lastLoss).toBeLessThan(r.firstLoss);
    expect(r.accuracyAll).toBeGreaterThan(0.7); // chance 1/3
    expect(r.surpriseAmbiguitySpearman).toBeGreaterThan(0.3); // issue 4's bar; 0.40 for seed 0
    expect(r.ambiguityFlagged).toBeGreaterThan(r.ambiguityRest);
    expect(r.accuracyUnflagged).toBeGreaterThan(r.accuracyAll);
    expect(r.fewLabels.map((f) => f.labels)).toEqual([50, 200, 4800]);
    expect(r.imputation.cells).toBeGreaterThan(0.08 * 1200 * 32);
    const text = formatDemo(r);
    expect(text).toContain(`Guessing the most frequent class is right ${(100 * r.majorityRate).toFixed(1)}% of the time.`);
    for (const f of r.fewLabels) expect(text).toContain(`on the raw columns ${(100 * f.raw).toFixed(1)}%`);
    expect(text).toContain('for the training median');
    expect(text).toContain('for the most frequent value');
    // a result that goes the wrong way is said so, never dressed up
    const worse = formatDemo({ ...r, fewLabels: [{ labels: 50, embeddings: 0.6, raw: 0.7 }], imputation: { ...r.imputation, numericModel: 0.2, numericMedian: 0.1 } });
    expect(worse).toContain('the embeddings do worse than the raw columns');
    expect(worse).toContain('no better than the median');
    // no jargon a person who never read the paper would stumble on
    expect(text).not.toMatch(/klSy|KL_sy|posterior std\b|s_w|relative surprise,/);
  }, 600_000);
});
