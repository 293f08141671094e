// The `varjepa` command line.
import { Command, CommanderError } from 'commander';

import { DEMO_EPOCHS, formatDemo, runDemo } from './commands/demo';
import { runEmbed } from './commands/embed';
import { formatEvaluate, runEvaluate } from './commands/evaluate';
import { fitOptions, formatFit, runFit, type FitFlags } from './commands/fit';
import { FILL_MODES, formatImpute, IMPUTE_DEFAULTS, runImpute } from './commands/impute';
import { runPredict } from './commands/predict';
import { isClosedPipe, userMessage, UserError } from './commands/errors';
import { choiceFlag, delimiterFlag, deviceOption, fractionFlag, intFlag, outputFile, plural, positiveInt, seedFlag } from './commands/flags';
import { doctor, formatDoctor } from './commands/doctor';
import { PREPROCESS_DEFAULTS, SCALINGS } from './data/schema';
import { EMBEDDING_FORMATS } from './data/writers';
import { FIT_DEFAULTS } from './model/fit';
import { setThreads } from './threads';
import { packageVersion } from './native';

/** Exit codes: 0 ok, 1 user error (with a message), 2 internal error, 130 interrupted (Ctrl-C). */
export const EXIT = { ok: 0, user: 1, internal: 2, interrupted: 130 } as const;

export { UserError };

/** The help of flags several commands share. */
const DEVICE_HELP = "where the model runs: auto | cpu | cuda ('cuda' fails with the cause when CUDA cannot be used)";
const DELIMITER_HELP = "field delimiter: one character, 'tab', or 'auto' (detected from the first lines)";

/** --threads on a command that runs a model: the size of the native thread pool (setThreads). */
function withThreads(c: Command): Command {
  return c
    .option('--threads <n>', 'threads of the native engine (default: the core count, or VARJEPA_THREADS)')
    .hook('preAction', (cmd) => {
      const t = cmd.opts<{ threads?: string }>().threads;
      if (t !== undefined) setThreads(intFlag('--threads', t, 1, 256));
    });
}

function program(exit: (code: number) => void): Command {
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
      const d = doctor();
      console.log(opts.json ? JSON.stringify(d, null, 2) : formatDoctor(d));
      if (!d.ok) exit(EXIT.user);
    });

  withThreads(p.command('demo'))
    .description('train on a built-in synthetic table, embed it and report accuracy and uncertainty')
    .addHelpText('after', '\nExamples:\n  $ varjepa demo')
    .option('--epochs <n>', 'training epochs', String(DEMO_EPOCHS))
    .option('--rows <n>', 'rows of the generated table', '6000')
    .option('--seed <n>', 'seed', '0')
    .option('--json', 'print the report as JSON')
    .option('--quiet', 'no progress display')
    .action(async (o: { epochs: string; rows: string; seed: string; json?: boolean; quiet?: boolean }) => {
      const report = await runDemo({ epochs: positiveInt('--epochs', o.epochs, 1e6), rows: intFlag('--rows', o.rows, 100, 1e7), seed: seedFlag('--seed', o.seed), quiet: o.quiet || o.json });
      console.log(o.json ? JSON.stringify(report, null, 2) : formatDemo(report));
    });

  withThreads(p.command('fit'))
    .description('train Var-T-JEPA on a table (CSV, optionally gzipped) and save the model')
    .argument('<table>', 'CSV file (.csv or .csv.gz)')
    .option('--target <col>', 'label column: kept out of the features; enables probe-based model selection and a held-out split (without it every row trains)')
    .option('--preset <name>', "hyper-parameters: a Table 7 row, or 'auto' (the row of the paper's table nearest in shape, a batch the rows fill)", 'auto')
    .option('--epochs <n>', 'training epochs', String(FIT_DEFAULTS.epochs))
    .option('--max-seconds <n>', 'a time budget: the schedule is fitted to it and training stops within it')
    .option('--batch-size <n>', 'rows per step (default: the preset)')
    .option('--seed <n>', 'seed of the split, masks and parameters', '0')
    .option('--out <file>', 'model file (safetensors)', 'model.safetensors')
    .option('--checkpoint <file>', 'write a checkpoint every epoch (and on Ctrl-C) to resume from (default on Ctrl-C: <out>.checkpoint)')
    .option('--resume <file>', 'continue a run from its checkpoint; --epochs is then the total')
    .option('--columns <list>', 'comma-separated columns to use (with --target); the others are ignored')
    .option('--ignore <list>', 'comma-separated columns to leave out (ids, leaks)')
    .option('--categorical <list>', 'comma-separated columns to treat as categories')
    .option('--numeric <list>', 'comma-separated columns to treat as numbers')
    .option('--scaling <name>', `numeric scaling: ${SCALINGS.join(' | ')}`, PREPROCESS_DEFAULTS.scaling)
    .option('--delimiter <char>', DELIMITER_HELP, 'auto')
    .option('--missing-values <list>', `comma-separated cell texts that mean "missing", added to the defaults (${PREPROCESS_DEFAULTS.missingValues.filter(Boolean).join(' ')} and the empty cell)`)
    .option('--device <name>', DEVICE_HELP)
    .option('--report <file>', 'write an HTML training report (loss terms, KL weights, probe, risk-coverage, uncertainty)')
    .option('--json', 'print the report as JSON')
    .option('--quiet', 'no progress display')
    .addHelpText('after', '\nExamples:\n  $ varjepa fit adult.csv.gz --target income --epochs 30 --out adult.safetensors --report report.html\n  $ varjepa fit table.csv --preset covertype --json\n  $ varjepa fit table.csv --max-seconds 600 --checkpoint run.ckpt\n  $ varjepa fit table.csv --resume run.ckpt --epochs 50')
    .action(async (table: string, o: FitFlags) => {
      const r = await runFit(table, fitOptions(o));
      console.log(o.json ? JSON.stringify(r, null, 2) : formatFit(r));
    });

  withThreads(p.command('embed'))
    .description('embed a table with a saved model: posterior means and uncertainties per row')
    .argument('<model>', 'model file written by varjepa fit')
    .argument('<table>', 'CSV file (.csv or .csv.gz)')
    .option('--out <file>', 'output file (default: CSV on stdout)')
    .option('--device <name>', DEVICE_HELP)
    .option('--format <fmt>', `${EMBEDDING_FORMATS.join(' | ')} (default: from the file name; csv on stdout)`)
    .option('--delimiter <char>', DELIMITER_HELP, 'auto')
    .option('--pool <how>', "features: every feature's d values a row (D x d, the paper's embedding); mean: their mean over the features (d values, D times smaller); context: the pooled context summary the model computes (pool x d values)", 'features')
    .option('--key <col>', 'an id or key column of the table, written first in every output row so rows join back (csv, jsonl, arrow)')
    .option('--unseen <what>', 'a category the training rows did not have: warn (count it, embed it as unseen) | error', 'warn')
    .option('--json', 'print a JSON summary')
    .option('--quiet', 'no progress display')
    .addHelpText('after', '\nExamples:\n  $ varjepa embed bank.safetensors bank.csv --key id --pool mean --out emb.jsonl\n  $ varjepa embed adult.safetensors adult.csv.gz --out emb.f32\n  $ varjepa embed model.safetensors rows.csv > emb.csv\n  $ varjepa embed model.safetensors rows.csv --format arrow-stream --out emb.arrows')
    .action(async (model: string, table: string, o: { out?: string; format?: string; device?: string; delimiter: string; pool: string; key?: string; unseen: string; json?: boolean; quiet?: boolean }) => {
      const r = await runEmbed(model, table, {
        out: o.out === undefined ? undefined : outputFile('--out', o.out), format: o.format, delimiter: delimiterFlag(o.delimiter),
        pool: choiceFlag('--pool', o.pool, ['features', 'mean', 'context'] as const), key: o.key, unseen: choiceFlag('--unseen', o.unseen, ['warn', 'error'] as const),
        quiet: o.quiet || o.json, device: deviceOption(o.device),
      });
      if (o.out) console.log(o.json ? JSON.stringify(r, null, 2) : `embedded ${plural(r.rows, 'row')} (${r.embeddingDim} values each, ${r.format}) into ${r.output}`);
    });

  withThreads(p.command('evaluate'))
    .description('linear-probe accuracy, macro-F1 and selective accuracy of a saved model on a labelled table')
    .argument('<model>', 'model file written by varjepa fit --target')
    .argument('<table>', 'CSV file (.csv or .csv.gz)')
    .option('--target <col>', 'label column (default: the target the model was fitted with)')
    .option('--seed <n>', 'seed of the 70/10/20 split', '0')
    .option('--delimiter <char>', DELIMITER_HELP, 'auto')
    .option('--device <name>', DEVICE_HELP)
    .option('--json', 'print the report as JSON')
    .addHelpText('after', '\nExamples:\n  $ varjepa evaluate adult.safetensors adult.csv.gz\n  $ varjepa evaluate adult.safetensors adult.csv.gz --target income --json')
    .action(async (model: string, table: string, o: { target?: string; seed: string; delimiter: string; device?: string; json?: boolean }) => {
      const r = await runEvaluate(model, table, { target: o.target, seed: seedFlag('--seed', o.seed), delimiter: delimiterFlag(o.delimiter), device: deviceOption(o.device) });
      console.log(o.json ? JSON.stringify(r, null, 2) : formatEvaluate(r));
    });
  withThreads(p.command('predict'))
    .description("the class of every row from the head saved by 'varjepa fit --target', with its confidence and the class probabilities")
    .argument('<model>', 'model file written by varjepa fit --target')
    .argument('<table>', 'CSV file (.csv or .csv.gz)')
    .option('--abstain <share>', 'withhold the least confident rows: this share (0..1) of the validation rows would be withheld (adds a withheld column: 1 = withheld)')
    .option('--key <col>', 'an id or key column of the table, written first in every output row')
    .option('--out <file>', 'output CSV (default: stdout)')
    .option('--delimiter <char>', DELIMITER_HELP, 'auto')
    .option('--unseen <what>', 'a category the training rows did not have: warn | error', 'warn')
    .option('--device <name>', DEVICE_HELP)
    .option('--json', 'print a JSON summary (with --out)')
    .option('--quiet', 'no progress display')
    .addHelpText('after', '\nExamples:\n  $ varjepa predict bank.safetensors new-customers.csv --key id --abstain 0.2 --out predictions.csv\n  $ varjepa predict bank.safetensors rows.csv | head')
    .action(async (model: string, table: string, o: { abstain?: string; key?: string; out?: string; delimiter: string; unseen: string; device?: string; json?: boolean; quiet?: boolean }) => {
      const r = await runPredict(model, table, {
        abstain: o.abstain === undefined ? undefined : fractionFlag('--abstain', o.abstain, 0, 1), key: o.key,
        out: o.out === undefined ? undefined : outputFile('--out', o.out), delimiter: delimiterFlag(o.delimiter),
        unseen: choiceFlag('--unseen', o.unseen, ['warn', 'error'] as const), device: deviceOption(o.device), quiet: o.quiet || o.json,
      });
      if (o.out) console.log(o.json ? JSON.stringify(r, null, 2) : `predicted ${plural(r.rows, 'row')} into ${r.output}${r.withheld !== undefined ? ` (${r.withheld} withheld: confidence below ${r.threshold?.toPrecision(3)})` : ''}`);
    });

  withThreads(p.command('impute'))
    .description("fill a table's missing cells from the model's generative path, with a spread and a median/mode fallback where the model is not better")
    .argument('<model>', 'model file written by varjepa fit')
    .argument('<table>', 'CSV file (.csv or .csv.gz) with missing cells')
    .option('--device <name>', DEVICE_HELP)
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
        seed: seedFlag('--seed', o.seed),
        fill: choiceFlag('--fill', o.fill, FILL_MODES),
        checkRows: positiveInt('--check-rows', o.checkRows, 1e7),
        out: o.out === undefined ? undefined : outputFile('--out', o.out),
        device: deviceOption(o.device),
      });
      if (o.out) console.log(o.json ? JSON.stringify(r, null, 2) : formatImpute(r));
      else if (r.fallbackCells > 0) console.error(formatImpute(r));
    });
  return p;
}

/** Runs the CLI on `argv` (as process.argv) and resolves to the exit code. */
export async function main(argv: string[]): Promise<number> {
  // a reader that stops early (`| head`) closes our stdout: end quietly, as Unix tools do
  const closed = (err: Error) => {
    if (isClosedPipe(err)) process.exit(EXIT.ok);
  };
  process.stdout.on('error', closed);
  let code: number = EXIT.ok;
  try {
    await program((c) => (code = c)).parseAsync(argv);
    return code;
  } catch (err) {
    if (err instanceof CommanderError) return err.exitCode === 0 ? EXIT.ok : EXIT.user;
    if (isClosedPipe(err)) return EXIT.ok;
    if (err instanceof Error && err.name === 'AbortError') {
      console.error(`varjepa: ${err.message}`);
      return EXIT.interrupted;
    }
    const message = userMessage(err);
    if (message !== undefined) {
      console.error(`varjepa: ${message}`);
      return EXIT.user;
    }
    console.error(`varjepa: internal error: ${(err as Error)?.stack ?? String(err)}`);
    return EXIT.internal;
  }
}
