import { readFileSync, writeFileSync } from 'node:fs';
import { Command, Option } from 'commander';
import { generate, isStateMachine, renderText, StateBoundError } from '../metamodel/index.ts';
import type { StateMachine } from '../metamodel/index.ts';
import { bftCommit, TABLE_1 } from '../protocols/bft-commit.ts';
import { renderDot, renderMermaid } from '../viz/machine-graph.ts';
import { renderSvg } from '../viz/machine-svg.ts';
import { renderTypeScript } from '../viz/machine-ts.ts';
import { wholeNumber, keyValue } from './flags.ts';
import type { Io } from './io.ts';
import { loadMetaModel } from './load-protocol.ts';
import { UsageError } from './usage-error.ts';

const FORMATS: Record<string, (m: StateMachine) => string | Promise<string>> = {
  text: (m) => renderText(m),
  json: (m) => JSON.stringify(m, null, 2) + '\n',
  dot: renderDot,
  svg: renderSvg,
  mermaid: renderMermaid,
  ts: renderTypeScript,
};

interface GenerateFlags {
  param: Record<string, string>;
  export?: string;
  format: string;
  out?: string;
  maxStates?: number;
  table?: boolean;
}

/** Table 1 of the BFT document beside what this generator makes of the same replication factors. */
function table(): string {
  const rows = Object.entries(TABLE_1).map(([r, doc]) => {
    const t0 = performance.now();
    const m = generate(bftCommit, { r: Number(r) });
    const seconds = (performance.now() - t0) / 1000;
    return [r, `${m.stats.enumerated} (${doc.initial})`, String(m.stats.reachable), `${m.stats.final} (${doc.final})`, `${seconds.toFixed(3)} (${doc.seconds})`];
  });
  const header = ['r', 'initial (document)', 'reachable', 'final (document)', 'seconds (document)'];
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((row) => row[i].length)));
  const line = (cells: string[]) => cells.map((c, i) => c.padStart(widths[i])).join('  ');
  return [line(header), ...rows.map(line)].join('\n') + '\n';
}

function readMachine(file: string): StateMachine {
  let value: unknown;
  try {
    value = JSON.parse(readFileSync(file, 'utf8'));
  } catch (err) {
    throw new UsageError(`cannot read machine ${file}: ${(err as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : (err as Error).message}`);
  }
  if (!isStateMachine(value)) throw new UsageError(`${file} is not a state machine (expected the JSON of generate --format json or learn --machine)`);
  return value;
}

async function render(machine: StateMachine, flags: GenerateFlags, io: Io): Promise<number> {
  const text = await FORMATS[flags.format](machine);
  if (flags.out) {
    writeFileSync(flags.out, text);
    io.out(`${flags.out}: ${machine.stats.final} states (${machine.stats.enumerated} enumerated, ${machine.stats.reachable} reachable)\n`);
  } else io.out(text);
  return 0;
}

export function addGenerateCommand(program: Command, io: Io, setExit: (code: number) => void): void {
  program.command('generate')
    .description('generate one member of a family of state machines from its meta-model: text, JSON, DOT, SVG, Mermaid or TypeScript')
    .argument('<meta-model>', 'a meta-model of the library (bft-commit), a path to a .ts file exporting one, or a machine saved as .json')
    .addOption(new Option('-p, --param <key=value>', 'set a meta-model parameter (repeatable)').argParser(keyValue).default({}, 'the meta-model\'s defaults'))
    .option('--export <name>', 'which export of the file, when it exports several meta-models')
    .addOption(new Option('--format <format>', 'what to write').choices(Object.keys(FORMATS)).default('text'))
    .option('-o, --out <file>', 'write to this file instead of stdout')
    .addOption(new Option('--max-states <n>', 'stop (exit 3) rather than enumerate more states than this').argParser(wholeNumber('--max-states', 1, 2 ** 31 - 1)))
    .option('--table', 'bft-commit only: the source document\'s Table 1 beside this generator\'s counts and times')
    .action(async (arg: string, flags: GenerateFlags) => {
      // A machine saved as JSON (by `generate --format json` or `learn --machine`) renders as it is.
      if (arg.endsWith('.json')) return setExit(await render(readMachine(arg), flags, io));
      const model = await loadMetaModel(arg, flags.export);
      if (flags.table) {
        if (model !== bftCommit) throw new UsageError('--table compares with the BFT document\'s Table 1, so it goes with bft-commit only');
        io.out(table());
        return setExit(0);
      }
      let machine: StateMachine;
      try {
        machine = generate(model, flags.param, { maxStates: flags.maxStates });
      } catch (err) {
        if (err instanceof StateBoundError) {
          io.err(`protoforge: stopped: ${err.message}\n`);
          return setExit(3);
        }
        throw err;
      }
      setExit(await render(machine, flags, io));
    });
}
