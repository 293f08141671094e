// The `varjepa` command line.
import { Command, CommanderError } from 'commander';

import { DEMO_EPOCHS, formatDemo, runDemo } from './commands/demo';
import { runEmbed } from './commands/embed';
import { formatEvaluate, runEvaluate } from './commands/evaluate';
import { formatFit, runFit } from './commands/fit';
import { formatImpute, IMPUTE_DEFAULTS, runImpute, type FillMode } from './commands/impute';
import { deviceOption, positiveInt, UserError } from './commands/table-model';
import { DataError } from './data/types';
import { formatInfo, info } from './info';
import { packageVersion } from './native';

/** Exit codes: 0 ok, 1 user error (with a message), 2 internal error. */
export const EXIT = { ok: 0, user: 1, internal: 2 } as const;

export { UserError };

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
    .option('--epochs <n>', 'training epochs', (v) => Number(v), DEMO_EPOCHS)
    .option('--rows <n>', 'rows of the generated table', (v) => Number(v), 6000)
    .option('--seed <n>', 'seed', (v) => Number(v), 0)
    .option('--json', 'print the report as JSON')
    .option('--quiet', 'no progress display')
    .action(async (opts: { epochs: number; rows: number; seed: number; json?: boolean; quiet?: boolean }) => {
      const report = await runDemo({ epochs: opts.epochs, rows: opts.rows, seed: opts.seed, quiet: opts.quiet || opts.json });
      console.log(opts.json ? JSON.stringify(report, null, 2) : formatDemo(report));
    });
  p.command('fit')
    .description('train Var-T-JEPA on a table (CSV, optionally gzipped) and save the model')
    .argument('<table>', 'CSV file (.csv or .csv.gz)')
    .option('--target <col>', 'label column: kept out of the features; enables probe-based model selection')
    .option('--preset <name>', "hyper-parameters: a Table 7 row, or 'auto' (the row of the paper's table nearest in shape, a batch the rows fill)", 'auto')
    .option('--epochs <n>', 'training epochs', '20')
    .option('--max-seconds <n>', 'a time budget: the schedule is fitted to it and training stops within it')
    .option('--batch-size <n>', 'rows per step (default: the preset)')
    .option('--seed <n>', 'seed of the split, masks and parameters', '0')
    .option('--out <file>', 'model file (safetensors)', 'model.safetensors')
    .option('--device <name>', "where the model runs: auto | cpu | cuda ('cuda' fails with the cause when CUDA cannot be used)")
    .option('--report <file>', 'write an HTML training report (loss terms, KL weights, probe, risk-coverage, uncertainty)')
    .option('--json', 'print the report as JSON')
    .option('--quiet', 'no progress display')
    .addHelpText('after', '\nExamples:\n  $ varjepa fit adult.csv.gz --target income --epochs 30 --out adult.safetensors --report report.html\n  $ varjepa fit table.csv --preset covertype --json\n  $ varjepa fit table.csv --max-seconds 600')
    .action(async (table: string, o: { target?: string; preset: string; epochs: string; maxSeconds?: string; batchSize?: string; seed: string; out: string; report?: string; device?: string; json?: boolean; quiet?: boolean }) => {
      const r = await runFit(table, {
        target: o.target,
        preset: o.preset,
        epochs: positiveInt('--epochs', o.epochs),
        maxSeconds: o.maxSeconds === undefined ? undefined : positiveInt('--max-seconds', o.maxSeconds),
        batchSize: o.batchSize === undefined ? undefined : positiveInt('--batch-size', o.batchSize, 65536),
        seed: Number.isInteger(Number(o.seed)) && Number(o.seed) >= 0 ? Number(o.seed) : (() => { throw new UserError(`Expected a non-negative integer for --seed but received '${o.seed}'`); })(),
        out: o.out,
        report: o.report,
        device: deviceOption(o.device),
        quiet: o.quiet || o.json,
      });
      console.log(o.json ? JSON.stringify(r, null, 2) : formatFit(r));
    });

  p.command('embed')
    .description('embed a table with a saved model: posterior means and uncertainties per row')
    .argument('<model>', 'model file written by varjepa fit')
    .argument('<table>', 'CSV file (.csv or .csv.gz)')
    .option('--out <file>', 'output file (default: CSV on stdout)')
    .option('--device <name>', "where the model runs: auto | cpu | cuda ('cuda' fails with the cause when CUDA cannot be used)")
    .option('--format <fmt>', 'csv | jsonl | f32 | arrow (default: from the file name)')
    .option('--json', 'print a JSON summary')
    .option('--quiet', 'no progress display')
    .addHelpText('after', '\nExamples:\n  $ varjepa embed adult.safetensors adult.csv.gz --out emb.f32\n  $ varjepa embed model.safetensors rows.csv > emb.csv')
    .action(async (model: string, table: string, o: { out?: string; format?: string; device?: string; json?: boolean; quiet?: boolean }) => {
      const r = await runEmbed(model, table, { out: o.out, format: o.format, quiet: o.quiet || o.json, device: deviceOption(o.device) });
      if (o.out) console.log(o.json ? JSON.stringify(r, null, 2) : `embedded ${r.rows} rows (${r.embeddingDim} values each, ${r.format}) into ${r.output}`);
    });

  p.command('evaluate')
    .description('linear-probe accuracy, macro-F1 and selective accuracy of a saved model on a labelled table')
    .argument('<model>', 'model file written by varjepa fit --target')
    .argument('<table>', 'CSV file (.csv or .csv.gz)')
    .requiredOption('--target <col>', 'label column')
    .option('--seed <n>', 'seed of the 70/10/20 split', '0')
    .option('--device <name>', "where the model runs: auto | cpu | cuda ('cuda' fails with the cause when CUDA cannot be used)")
    .option('--json', 'print the report as JSON')
    .addHelpText('after', '\nExamples:\n  $ varjepa evaluate adult.safetensors adult.csv.gz --target income')
    .action(async (model: string, table: string, o: { target: string; seed: string; device?: string; json?: boolean }) => {
      const r = await runEvaluate(model, table, { target: o.target, seed: Number(o.seed) || 0, device: deviceOption(o.device) });
      console.log(o.json ? JSON.stringify(r, null, 2) : formatEvaluate(r));
    });
  p.command('impute')
    .description("fill a table's missing cells from the model's generative path, with a spread and a median/mode fallback where the model is not better")
    .argument('<model>', 'model file written by varjepa fit')
    .argument('<table>', 'CSV file (.csv or .csv.gz) with missing cells')
    .option('--device <name>', "where the model runs: auto | cpu | cuda ('cuda' fails with the cause when CUDA cannot be used)")
    .option('--draws <n>', 'draws per missing cell', String(IMPUTE_DEFAULTS.draws))
    .option('--seed <n>', 'seed of the draws and of the check', String(IMPUTE_DEFAULTS.seed))
    .option('--fill <how>', "auto: per column, the model where it beats the training median/mode on hidden observed cells of the table (by more than twice the standard error), the median/mode elsewhere | model | baseline", IMPUTE_DEFAULTS.fill)
    .option('--check-rows <n>', "rows whose observed cells the 'auto' check hides", String(IMPUTE_DEFAULTS.checkRows))
    .option('--out <file>', 'output CSV (default: stdout)')
    .option('--json', 'print the summary as JSON (with --out)')
    .addHelpText(
      'after',
      [
        '',
        'Output: every input column in its place (the target and other non-feature columns as read).',
        'Each feature column with missing cells is followed by <column>_spread (numeric: the standard',
        'deviation of the draws; categorical: the share of draws that disagreed; empty for fallback',
        'cells) and <column>_source: model, or median / mode for cells filled with the training',
        'median or mode. Numeric fills are the median of the draws, within the training range, whole',
        'numbers where the training values were; categorical fills are the most probable category.',
        'The summary (stdout with --out, else stderr) names each fallback column and why; --json has',
        'it per column (source, reason, the check\'s errors).',
        '',
        'Examples:',
        '  $ varjepa impute adult.safetensors adult.csv.gz --out adult-imputed.csv',
        '  $ varjepa impute adult.safetensors adult.csv.gz --fill model --draws 50 --out adult-imputed.csv --json',
      ].join('\n'),
    )
    .action(async (model: string, table: string, o: { draws: string; seed: string; fill: string; checkRows: string; out?: string; device?: string; json?: boolean }) => {
      const r = await runImpute(model, table, {
        draws: positiveInt('--draws', o.draws, 100000),
        seed: Number.isInteger(Number(o.seed)) && Number(o.seed) >= 0 ? Number(o.seed) : (() => { throw new UserError(`Expected a non-negative integer for --seed but received '${o.seed}'`); })(),
        fill: o.fill as FillMode,
        checkRows: positiveInt('--check-rows', o.checkRows, 1e7),
        out: o.out,
        device: deviceOption(o.device),
      });
      if (o.out) console.log(o.json ? JSON.stringify(r, null, 2) : formatImpute(r));
      else if (r.fallbackCells > 0) console.error(formatImpute(r));
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
    if (err instanceof UserError || err instanceof DataError || err instanceof RangeError || err instanceof TypeError || (err as NodeJS.ErrnoException)?.code === 'ENOENT' || /^(Invalid model file|Could not read model file|device 'cuda' is not available)/.test((err as Error)?.message ?? '')) {
      console.error(`varjepa: ${(err as Error).message}`);
      return EXIT.user;
    }
    console.error(`varjepa: internal error: ${(err as Error)?.stack ?? String(err)}`);
    return EXIT.internal;
  }
}
