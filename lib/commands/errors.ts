// What the CLI does with an error: a mistake the user can fix (a flag, a file, their data, a full
// disk) is one line and exit 1; anything else is a bug in this package: the stack and exit 2.
import { CsvError } from 'csv-parse';

import { DataError } from '../data/types';
import { BatchTooLargeError } from '../model/memory';
import { ModelFileError } from '../model/persist';

/** Thrown for mistakes the user can fix; the CLI prints the message and exits 1. */
export class UserError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'UserError';
  }
}

/** File-system errors that are the user's to fix (a path, a permission, a full or read-only disk). */
const USER_ERRNO = new Set(['ENOENT', 'EISDIR', 'ENOTDIR', 'EACCES', 'EPERM', 'ENOSPC', 'EROFS', 'EDQUOT', 'EEXIST', 'ENAMETOOLONG', 'EMFILE']);

/** The errno code of an error or of the error it wraps. */
export function errnoOf(err: unknown): string | undefined {
  for (let e = err as { code?: unknown; cause?: unknown } | undefined, depth = 0; e && depth < 4; e = e.cause as typeof e, depth++) {
    if (typeof e.code === 'string' && /^E[A-Z]+$/.test(e.code)) return e.code;
  }
  return undefined;
}

/** Whether stdout (or stderr) was closed by the reader (`| head`): the command ends quietly. */
export function isClosedPipe(err: unknown): boolean {
  return errnoOf(err) === 'EPIPE' || (err as { code?: string })?.code === 'ERR_STREAM_DESTROYED';
}

const FULL_DISK: Record<string, string> = {
  ENOSPC: 'the disk is full',
  EDQUOT: 'the disk quota is used up',
  EROFS: 'the file system is read-only',
};

/** The one-line message for a user's mistake, or undefined for a bug. */
export function userMessage(err: unknown): string | undefined {
  if (!(err instanceof Error)) return undefined;
  const code = errnoOf(err);
  if (err instanceof UserError || err instanceof DataError || err instanceof BatchTooLargeError) return err.message;
  // option checks of the API (lib/validate.ts) throw RangeError and TypeError naming the option
  if (err instanceof RangeError || err instanceof TypeError) return err.message;
  if (err instanceof CsvError) return `Cannot parse the table as CSV: ${err.message}`;
  if (err instanceof ModelFileError) return code && FULL_DISK[code] ? `${err.message} (${FULL_DISK[code]})` : err.message;
  if (/^device 'cuda' is not available/.test(err.message)) return err.message;
  if (code && USER_ERRNO.has(code)) return FULL_DISK[code] ? `${err.message} (${FULL_DISK[code]})` : err.message;
  return undefined;
}
