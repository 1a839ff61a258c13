/** A meta-model that cannot be generated as declared: one message naming the rule, the state and the message. */
export class MetaModelError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'MetaModelError';
  }
}

/** Generation reached its bound on enumerated states before it could finish. */
export class StateBoundError extends MetaModelError {
  /** States enumerated (with their transitions) when generation stopped. */
  readonly reached: number;
  /** States the meta-model has for these parameters. */
  readonly total: number;
  readonly bound: number;
  constructor(message: string, reached: number, total: number, bound: number) {
    super(message);
    this.name = 'StateBoundError';
    this.reached = reached;
    this.total = total;
    this.bound = bound;
  }
}

/** How an error names the rule for a message: `rules.vote`, or `rules["not free"]`. */
export function ruleName(message: string): string {
  return /^[A-Za-z_$][\w$]*$/.test(message) ? `rules.${message}` : `rules[${JSON.stringify(message)}]`;
}
