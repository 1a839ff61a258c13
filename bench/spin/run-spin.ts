// Runs the SPIN model of TLA+ TwoPhase (two-phase-commit.pml) for a given number
// of resource managers and parses pan's report.
//   node --import tsx bench/spin/run-spin.ts 8
// Pipeline (in a fresh temp dir): spin -DRMS=n -a model.pml; gcc -O2 -DSAFETY pan.c; ./pan -m<depth> -w<hash>
import { execFile } from "node:child_process";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";

const exec = promisify(execFile);
const MODEL = fileURLToPath(new URL("./two-phase-commit.pml", import.meta.url));

export interface SpinResult {
  rms: number;
  states: number;
  transitions: number;
  seconds: number;
  memoryMB: number;
  errors: number;
}

async function run(cmd: string, args: string[], cwd: string): Promise<string> {
  try {
    const { stdout, stderr } = await exec(cmd, args, { cwd, maxBuffer: 64 << 20 });
    return stdout + stderr;
  } catch (e) {
    const err = e as NodeJS.ErrnoException & { stdout?: string; stderr?: string };
    if (err.code === "ENOENT" && cmd === "spin") throw new Error("spin is not installed: apt-get install -y spin");
    if (err.code === "ENOENT") throw new Error(`${cmd} is not installed`);
    // pan exits non-zero when it finds errors; its report is still what we want.
    if (cmd === "./pan" && err.stdout) return err.stdout + (err.stderr ?? "");
    throw new Error(`${cmd} ${args.join(" ")} failed:\n${err.stdout ?? ""}${err.stderr ?? err.message}`);
  }
}

function field(out: string, re: RegExp, name: string): number {
  const m = re.exec(out);
  if (!m) throw new Error(`cannot find "${name}" in pan output:\n${out}`);
  return Number(m[1]);
}

export async function runSpin(rms: number): Promise<SpinResult> {
  if (!Number.isInteger(rms) || rms < 1 || rms > 12) throw new Error(`rms must be an integer in 1..12, got ${rms}`);
  const dir = await mkdtemp(join(tmpdir(), "spin-2pc-"));
  try {
    await run("spin", [`-DRMS=${rms}`, "-a", MODEL], dir);
    // -DSAFETY: safety properties only (assertions + invalid end states), as TLC checks.
    // Partial-order reduction is left on: with a single process it cannot prune anything.
    await run("gcc", ["-O2", "-DSAFETY", "-DMEMLIM=16384", "-o", "pan", "pan.c"], dir);
    // Any path is at most ~3*rms+2 steps deep; hash table ~2^(2*rms+7) slots.
    const hashBits = Math.min(30, Math.max(18, 2 * rms + 7));
    const out = await run("./pan", ["-m100000", `-w${hashBits}`], dir);
    if (/max search depth too small/.test(out)) throw new Error(`pan: max search depth too small:\n${out}`);
    return {
      rms,
      states: field(out, /([\d.e+]+) states, stored/, "states, stored"),
      transitions: field(out, /([\d.e+]+) transitions \(/, "transitions"),
      seconds: field(out, /elapsed time ([\d.e+]+) seconds/, "elapsed time"),
      memoryMB: field(out, /([\d.]+)\s+total actual memory usage/, "total actual memory usage"),
      errors: field(out, /errors: (\d+)/, "errors:"),
    };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const rms = Number(process.argv[2] ?? 3);
  console.log(JSON.stringify(await runSpin(rms), null, 2));
}
