// The shared native thread pool that every model and probe of the process runs on.
import { native } from './native';
import { integer } from './validate';

/** Sets the size of the shared native thread pool (1..256); returns it. Default: the core count, or VARJEPA_THREADS.
 *
 * @example
 * setThreads(1); // one core for this process's models
 */
export function setThreads(n: number): number {
  return native().binding.setThreads(integer('threads', n, 1, 256));
}

/** The size of the shared native thread pool. */
export function getThreads(): number {
  return native().binding.info().threads;
}
