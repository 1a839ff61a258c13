import { InvalidArgumentError } from 'commander';

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
