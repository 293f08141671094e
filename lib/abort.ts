// The error an aborted call rejects with: the signal's reason when it is an Error, else an
// AbortError.

/** The error for an aborted `signal`. */
export function abortError(signal: AbortSignal): Error {
  const r = signal.reason;
  if (r instanceof Error) return r;
  const e = new Error(typeof r === 'string' ? r : 'The operation was aborted');
  e.name = 'AbortError';
  return e;
}
