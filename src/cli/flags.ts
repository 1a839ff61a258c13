import { Command, InvalidArgumentError, Option } from 'commander';

/** Parsers for flag values: each throws commander's InvalidArgumentError, which names the flag. */

export function wholeNumber(name: string, min: number, max: number) {
  return (value: string): number => {
    const n = /^\d+$/.test(value) ? Number(value) : NaN;
    if (!Number.isSafeInteger(n) || n < min || n > max) throw new InvalidArgumentError(`${name} must be a whole number from ${min} to ${max}.`);
    return n;
  };
}

export function positive(name: string) {
  return (value: string): number => {
    const n = Number(value);
    if (!Number.isFinite(n) || n <= 0) throw new InvalidArgumentError(`${name} must be a positive number.`);
    return n;
  };
}

export function keyValue(value: string, previous: Record<string, string>): Record<string, string> {
  const at = value.indexOf('=');
  if (at <= 0) throw new InvalidArgumentError(`expected KEY=VALUE, got ${JSON.stringify(value)}.`);
  return { ...previous, [value.slice(0, at)]: value.slice(at + 1) };
}

/** The protocol argument and the options that choose an instance of it. */
export function withProtocol(cmd: Command): Command {
  return cmd
    .argument('<protocol>', 'a protocol of the library (see list) or a path to a .ts file exporting one')
    .addOption(new Option('-p, --param <key=value>', 'set a protocol parameter (repeatable)').argParser(keyValue).default({}, 'the protocol\'s defaults'))
    .option('--export <name>', 'which export of the file, when it exports several protocols');
}

/** The network semantics, for the executors that explore every behaviour (check, explore). */
export function withNetwork(cmd: Command): Command {
  return cmd
    .addOption(new Option('--network <kind>', 'message ordering').choices(['unordered', 'ordered']))
    .option('--lossy', 'messages in flight may be lost')
    .option('--no-lossy', 'messages are never lost')
    .option('--duplicating', 'a delivered message stays in flight and may be delivered again')
    .option('--no-duplicating', 'delivery consumes a message')
    .addOption(new Option('--crashes <n>', 'at most this many node crashes').argParser(wholeNumber('--crashes', 0, 30)))
    .addOption(new Option('--crash-mode <mode>', 'what a crash means').choices(['stop', 'recover']));
}
