/** A simulation option, latency or fault entry that is out of range: names the field and what was expected. */
export class SimOptionsError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'SimOptionsError';
  }
}

/** A value as an error message shows it: numbers as written (NaN, Infinity), a missing value as "nothing", anything else as JSON. */
export function show(value: unknown): string {
  if (value === undefined) return 'nothing';
  if (typeof value === 'number') return String(value);
  return JSON.stringify(value) ?? String(value);
}

/** Checks that `value` is a number from `min` to `max` inclusive; `field` names it in the error. */
export function checkNumber(value: unknown, field: string, min: number, max: number): number {
  if (typeof value !== 'number' || !(value >= min && value <= max)) {
    throw new SimOptionsError(`${field} must be a number from ${min} to ${max}, got ${show(value)}`);
  }
  return value;
}
