// Command-line flags as the user typed them: each parser names the flag in its message, so a
// mistake reads `--seed: expected an integer between 0 and 4294967295 but received 'abc'`, never
// the API option it becomes. Output paths are checked here, before any work starts: a run of an
// hour must not end in "no such folder".
import * as fs from 'fs';
import * as nodePath from 'path';

import { DEVICE_OPTIONS, type DeviceOption } from '../model/options';
import { UserError } from './errors';

/** An integer flag in [lo, hi]; `1e3` and `10.0` are accepted as the integers they are, `abc`, `-5` and `2.5` are not. */
export function intFlag(flag: string, v: string, lo: number, hi: number): number {
  const n = v.trim() === '' ? NaN : Number(v);
  if (!Number.isInteger(n) || n < lo || n > hi) throw new UserError(`${flag}: expected an integer between ${lo} and ${hi} but received '${v}'`);
  return n;
}

/** A positive integer flag, 1..max. */
export function positiveInt(flag: string, v: string, max = 1e9): number {
  return intFlag(flag, v, 1, max);
}

/** A seed: an integer 0..2^32-1 (what every seeded part of the package takes). */
export function seedFlag(flag: string, v: string): number {
  return intFlag(flag, v, 0, 0xffffffff);
}

/** A fraction flag in (lo, hi). */
export function fractionFlag(flag: string, v: string, lo = 0, hi = 1): number {
  const n = v.trim() === '' ? NaN : Number(v);
  if (!Number.isFinite(n) || n <= lo || n >= hi) throw new UserError(`${flag}: expected a number between ${lo} and ${hi} (both excluded) but received '${v}'`);
  return n;
}

/** One of a fixed set of words. */
export function choiceFlag<T extends string>(flag: string, v: string, choices: readonly T[]): T {
  if (!(choices as readonly string[]).includes(v)) throw new UserError(`${flag}: expected one of ${choices.map((c) => `'${c}'`).join(', ')} but received '${v}'`);
  return v as T;
}

/** Parses --device. */
export function deviceOption(v: string | undefined): DeviceOption | undefined {
  return v === undefined ? undefined : choiceFlag('--device', v, DEVICE_OPTIONS);
}

/** A comma-separated list of names (`--columns a,b,c`); empty entries are a mistake. */
export function listFlag(flag: string, v: string): string[] {
  const names = v.split(',').map((s) => s.trim());
  if (names.some((s) => s === '')) throw new UserError(`${flag}: expected a comma-separated list of column names but received '${v}'`);
  return names;
}

/** A delimiter: one character, or the words 'tab' and 'auto'. */
export function delimiterFlag(v: string): string {
  if (v === 'tab' || v === '\\t') return '\t';
  if (v === 'auto' || [...v].length === 1) return v;
  throw new UserError(`--delimiter: expected one character (or 'tab', or 'auto' to detect it) but received '${v}'`);
}

/**
 * Checks that `file` can be written before any work starts: its folder exists and is a folder the
 * process may write into, and the path itself is not a folder. Returns the path.
 */
export function outputFile(flag: string, file: string): string {
  const dir = nodePath.dirname(nodePath.resolve(file));
  let st: fs.Stats | undefined;
  try {
    st = fs.statSync(file);
  } catch {
    st = undefined;
  }
  if (st?.isDirectory()) throw new UserError(`${flag}: '${file}' is a folder; name a file inside it, for example '${nodePath.join(file, flag === '--report' ? 'report.html' : 'model.safetensors')}'`);
  let d: fs.Stats;
  try {
    d = fs.statSync(dir);
  } catch {
    throw new UserError(`${flag}: the folder '${dir}' does not exist; create it first (mkdir -p '${dir}')`);
  }
  if (!d.isDirectory()) throw new UserError(`${flag}: '${dir}' is a file, not a folder, so '${file}' cannot be written`);
  try {
    fs.accessSync(dir, fs.constants.W_OK);
  } catch {
    throw new UserError(`${flag}: the folder '${dir}' is not writable by this user`);
  }
  return file;
}

/** '1 epoch', '3 epochs'. */
export function plural(n: number, word: string): string {
  return `${n} ${word}${n === 1 ? '' : 's'}`;
}
