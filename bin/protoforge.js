#!/usr/bin/env node
// The protoforge command: TypeScript support, then the CLI.
import { register } from 'tsx/esm/api';
register();
const { main } = await import('../src/cli/main.ts');
process.exitCode = await main(process.argv.slice(2));
