/**
 * Delay in ms for timers set without one: a number for every timer, or a map from timer name to ms
 * with `"*"` for the timers it does not name (10 when absent).
 */
export type TimerDefaults = number | Readonly<Record<string, number>>;

/** The delay of each timer set without one, as `defaults` gives it. */
export function timerDelay(defaults: TimerDefaults | undefined): (timer: string) => number {
  if (defaults === undefined) return () => 10;
  if (typeof defaults === 'number') return () => defaults;
  return (timer) => defaults[timer] ?? defaults['*'] ?? 10;
}
