#!/usr/bin/env node
// The protoforge command: TypeScript support, then the CLI.
import { register } from 'tsx/esm/api';
register();
// Output piped into a command that stops reading (head, less) is not an error.
process.stdout.on('error', (err) => { if (err.code === 'EPIPE') process.exit(process.exitCode ?? 0); else throw err; });
const { main } = await import('../src/cli/main.ts');
process.exitCode = await main(process.argv.slice(2));
