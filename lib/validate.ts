// One error factory for every option check, so messages read the same everywhere:
//   Expected an integer between 1 and 64 for options.encoder.heads but received 0 (number)

/** Describes a received value for an error message: `0 (number)`, `'x' (string)`, `undefined`. */
export function describe(v: unknown): string {
  if (v === undefined) return 'undefined';
  if (v === null) return 'null';
  if (typeof v === 'number') return `${String(v)} (number)`;
  if (typeof v === 'string') return `'${v}' (string)`;
  if (typeof v === 'boolean') return `${String(v)} (boolean)`;
  if (typeof v === 'bigint') return `${String(v)} (bigint)`;
  if (Array.isArray(v)) return `Array of length ${v.length}`;
  if (ArrayBuffer.isView(v)) return `${v.constructor.name} of length ${(v as unknown as { length: number }).length}`;
  if (typeof v === 'function') return 'function';
  return `${(v as object).constructor?.name ?? 'object'} (object)`;
}

/** The error for a value outside what `path` accepts. Type mistakes give TypeError, range mistakes RangeError. */
export function invalid(path: string, expected: string, received: unknown, kind: 'type' | 'range' = 'range'): Error {
  const msg = `Expected ${expected} for ${path} but received ${describe(received)}`;
  return kind === 'type' ? new TypeError(msg) : new RangeError(msg);
}

/** An error for a rule that ties several fields together. */
export function conflict(message: string): RangeError {
  return new RangeError(message);
}

export function integer(path: string, v: unknown, lo: number, hi: number): number {
  if (typeof v !== 'number') throw invalid(path, `an integer between ${lo} and ${hi}`, v, 'type');
  if (!Number.isInteger(v) || v < lo || v > hi) throw invalid(path, `an integer between ${lo} and ${hi}`, v);
  return v;
}

export function number(path: string, v: unknown, lo: number, hi: number): number {
  if (typeof v !== 'number') throw invalid(path, `a number between ${lo} and ${hi}`, v, 'type');
  if (!Number.isFinite(v) || v < lo || v > hi) throw invalid(path, `a number between ${lo} and ${hi}`, v);
  return v;
}

export function oneOf<T extends string>(path: string, v: unknown, values: readonly T[]): T {
  if (typeof v !== 'string' || !values.includes(v as T)) {
    throw invalid(path, `one of ${values.map((x) => `'${x}'`).join(', ')}`, v, typeof v === 'string' ? 'range' : 'type');
  }
  return v as T;
}

export function boolean(path: string, v: unknown): boolean {
  if (typeof v !== 'boolean') throw invalid(path, 'a boolean', v, 'type');
  return v;
}
