// The `varjepa` command line.
import { Command, CommanderError } from 'commander';

import { formatDemo, runDemo } from './commands/demo';
import { formatInfo, info } from './info';
import { packageVersion } from './native';

/** Exit codes: 0 ok, 1 user error (with a message), 2 internal error. */
export const EXIT = { ok: 0, user: 1, internal: 2 } as const;

/** Thrown for mistakes the user can fix; the CLI prints the message and exits 1. */
export class UserError extends Error {}

function program(): Command {
  const p = new Command();
  p.name('varjepa')
    .description('Var-T-JEPA: self-supervised embeddings with uncertainty for tables')
    .version(packageVersion())
    .exitOverride()
    .showHelpAfterError();

  p.command('doctor')
    .description('print what this installation loaded and what the machine offers')
    .option('--json', 'print the report as JSON')
    .addHelpText('after', '\nExamples:\n  $ varjepa doctor\n  $ varjepa doctor --json')
    .action((opts: { json?: boolean }) => {
      const i = info();
      console.log(opts.json ? JSON.stringify(i, null, 2) : formatInfo(i));
    });

  p.command('demo')
    .description('train on a built-in synthetic table, embed it and report accuracy and uncertainty')
    .addHelpText('after', '\nExamples:\n  $ varjepa demo')
    .option('--epochs <n>', 'training epochs', (v) => Number(v), 12)
    .option('--rows <n>', 'rows of the generated table', (v) => Number(v), 6000)
    .option('--seed <n>', 'seed', (v) => Number(v), 0)
    .option('--json', 'print the report as JSON')
    .option('--quiet', 'no progress display')
    .action(async (opts: { epochs: number; rows: number; seed: number; json?: boolean; quiet?: boolean }) => {
      const report = await runDemo({ epochs: opts.epochs, rows: opts.rows, seed: opts.seed, quiet: opts.quiet || opts.json });
      console.log(opts.json ? JSON.stringify(report, null, 2) : formatDemo(report));
    });
  return p;
}

/** Runs the CLI on `argv` (as process.argv) and resolves to the exit code. */
export async function main(argv: string[]): Promise<number> {
  try {
    await program().parseAsync(argv);
    return EXIT.ok;
  } catch (err) {
    if (err instanceof CommanderError) {
      return err.exitCode === 0 ? EXIT.ok : EXIT.user;
    }
    if (err instanceof UserError || err instanceof RangeError || err instanceof TypeError) {
      console.error(`varjepa: ${(err as Error).message}`);
      return EXIT.user;
    }
    console.error(`varjepa: internal error: ${(err as Error)?.stack ?? String(err)}`);
    return EXIT.internal;
  }
}
