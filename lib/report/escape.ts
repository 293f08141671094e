// Text put into the report's HTML and SVG: every table name, column name, option value and
// series name goes through escapeHtml, so a name like `<b>&` shows as written and cannot add markup.

/** `s` with &, <, >, " and ' written as entities (safe in element text and in quoted attributes). */
export function escapeHtml(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;').replace(/'/g, '&#39;');
}
