// A plain float64 forward pass of the T-JEPA loss (docs/model.md, section 10, Eq. 56), written from
// the spec: context encoder on [CLS, context tokens], target encoder on [CLS, all D tokens],
// predictor on [aux tokens, context tokens, queries] per mask, MSE at the target positions.
// Blocks, tokeniser and parameter lookup come from reference-model.ts. Dropout is taken as 0.
import { featureToken, Params, positionCode, transformerStack, add, type RefConfig, type RefParam } from './reference-model';

export interface RefTJepaInputs {
  params: Float32Array;
  table: RefParam[];
  cards: Int32Array;
  /** (B, D) */
  x: Float32Array;
  rows: number;
  ctxSize: number;
  trgSize: number;
  /** (B, Mc) */
  ctx: Int32Array;
  /** (K, B, Mt), k-major */
  trg: Int32Array;
  config: Pick<RefConfig, 'd' | 'layers' | 'heads' | 'dP' | 'layersP' | 'headsP' | 'masks' | 'posBase' | 'predPosBase'> & { nAux: number };
}

type Vec = number[];

/** Mean over the K*B*Mt target tokens of mean_c (prediction - target token)^2. */
export function referenceTJepaLoss(inp: RefTJepaInputs): number {
  const { config: cfg, cards, rows: B, ctxSize: Mc, trgSize: Mt } = inp;
  const D = cards.length;
  const p = new Params(inp.params, inp.table);
  const fullCfg = { ...cfg, ff: 0, ffP: 0, pool: 0, logvarMin: 0, logvarMax: 0 } as RefConfig;
  const value = (b: number, j: number) => inp.x[b * D + j];
  const encode = (prefix: string, b: number, feats: number[]): Vec[] => {
    const seq = [p.get(`${prefix}.cls`, [cfg.d]), ...feats.map((j) => featureToken(p, prefix, cards, j, value(b, j), fullCfg, `x[${b}, ${j}]`))];
    return transformerStack(p, `${prefix}.encoder`, cfg.layers, cfg.heads, seq, 'encoder').slice(1);
  };
  let sum = 0;
  let count = 0;
  for (let b = 0; b < B; b++) {
    const ctxFeats = Array.from(inp.ctx.subarray(b * Mc, (b + 1) * Mc));
    const sx = encode('ctx', b, ctxFeats);
    const target = encode('tgt', b, Array.from({ length: D }, (_, j) => j));
    for (let k = 0; k < cfg.masks; k++) {
      const trg = Array.from(inp.trg.subarray((k * B + b) * Mt, (k * B + b + 1) * Mt));
      const seq: Vec[] = [];
      for (let a = 0; a < cfg.nAux; a++) seq.push(add(p.row('pred.aux_tokens', [cfg.nAux, cfg.dP], a), positionCode(D + a, cfg.dP, cfg.predPosBase)));
      ctxFeats.forEach((j, t) => seq.push(add(p.linear('pred.ctx', sx[t]), positionCode(j, cfg.dP, cfg.predPosBase))));
      for (const j of trg) seq.push(add(p.get('pred.mask_token', [cfg.dP]), positionCode(j, cfg.dP, cfg.predPosBase)));
      const h = transformerStack(p, 'pred.encoder', cfg.layersP, cfg.headsP, seq, 'norm');
      trg.forEach((j, u) => {
        const pred = p.linear('pred.head', h[cfg.nAux + Mc + u]);
        let se = 0;
        for (let c = 0; c < cfg.d; c++) se += (pred[c] - target[j][c]) ** 2;
        sum += se / cfg.d;
        count++;
      });
    }
  }
  return sum / count;
}
