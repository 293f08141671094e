import * as fs from 'fs';
import * as path from 'path';
import { describe, expect, it } from 'vitest';

import { native } from '../lib/native';
// eslint-disable-next-line @typescript-eslint/no-require-imports
const { sourceHash } = require('../scripts/source-hash.js') as { sourceHash(root: string): string };

const root = path.resolve(__dirname, '..');

describe('provenance', () => {
  it('the local build reports the hash of the current native sources', () => {
    expect(native().binding.info().sourceHash).toBe(sourceHash(root));
  });

  it('prebuilds/ is not stale against native/ (run `npm run prebuild` and commit it)', () => {
    const dir = path.join(root, 'prebuilds', `${process.platform}-${process.arch}`);
    const files = fs.readdirSync(dir).filter((f) => f.endsWith('.node'));
    expect(files.length).toBeGreaterThan(0);
    for (const f of files) {
      // eslint-disable-next-line @typescript-eslint/no-require-imports
      const b = require(path.join(dir, f)) as { info(): { sourceHash: string } };
      expect(b.info().sourceHash, `${f} was built from other sources`).toBe(sourceHash(root));
    }
  });
});
