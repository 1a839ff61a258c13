import { main } from '../src/cli/main.ts';

/** Runs the protoforge CLI in this process with captured output, as if not on a terminal. */
export async function cli(...args: string[]): Promise<{ code: number; out: string; err: string }> {
  let out = '';
  let err = '';
  const code = await main(args, { out: (t) => { out += t; }, err: (t) => { err += t; }, tty: false });
  return { code, out, err };
}
