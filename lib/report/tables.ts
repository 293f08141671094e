// The report's tables: the run's facts (table, version, date, timing and what the caller adds) and
// the model's hyper-parameters. Every key and value is escaped.
import type { VarTJepaEpoch as EpochSummary } from '../model/fit-types';
import { escapeHtml as esc } from './escape';

/** Training time and throughput of a run: seconds summed over epochs, rows/s over the whole run. */
export function trainingTiming(history: EpochSummary[]): { seconds: number; rowsPerSec: number } {
  let seconds = 0, rows = 0;
  for (const h of history) {
    seconds += h.seconds;
    rows += h.rowsPerSec * h.seconds;
  }
  return { seconds, rowsPerSec: seconds > 0 ? rows / seconds : 0 };
}

/** A date as `2026-12-03 17:40 UTC`. */
export function formatDate(d: Date): string {
  return `${d.toISOString().slice(0, 16).replace('T', ' ')} UTC`;
}

/** A value as a table cell writes it: nested objects as `key: value` lists, arrays joined by commas. */
function cell(v: unknown): string {
  if (v === undefined) return '';
  if (v === null || typeof v !== 'object') return String(v);
  if (Array.isArray(v)) return v.map(cell).join(', ');
  return Object.entries(v as Record<string, unknown>).map(([k, x]) => `${k}: ${cell(x)}`).join('; ');
}

/** A two-column table of `key | value` rows; `attr` names it for tests and readers (data-table). */
export function keyValueTable(attr: string, rows: Record<string, unknown>): string {
  const body = Object.entries(rows).map(([k, v]) => `<tr><th>${esc(k)}</th><td>${esc(cell(v))}</td></tr>`).join('');
  return `<table data-table="${esc(attr)}">${body}</table>`;
}
