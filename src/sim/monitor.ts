import type { Property, PropertyKind, World } from '../core/properties.ts';

/** How one property fared in a run; `record` is the event record after which it failed, held or was reached. */
export interface PropertyOutcome {
  readonly name: string;
  readonly kind: PropertyKind;
  /** always: never violated; sometimes: witnessed; eventually: reached. */
  readonly ok: boolean;
  readonly record: number | null;
  readonly explanation: string;
}

export class PropertyCheckError extends Error {
  constructor(property: Property, record: number, cause: unknown) {
    super(`property ${property.name} threw after record ${record}: ${(cause as Error)?.message ?? String(cause)}`, { cause });
    this.name = 'PropertyCheckError';
  }
}

/** Evaluates every property after each step and remembers the first record where each one decided. */
export class Monitor {
  private readonly at: (number | null)[];

  constructor(private readonly properties: readonly Property[]) {
    this.at = properties.map(() => null);
  }

  /** Checks the properties against the world after record `i`; returns the first `always` that fails now. */
  observe(world: World, i: number): Property | undefined {
    let failed: Property | undefined;
    this.properties.forEach((p, k) => {
      if (this.at[k] !== null) return; // decided already: an always that failed has stopped the run
      let holds: boolean;
      try {
        holds = p.holds(world);
      } catch (err) {
        throw new PropertyCheckError(p, i, err);
      }
      if (holds === (p.kind === 'always')) return;
      this.at[k] = i;
      if (p.kind === 'always') failed ??= p;
    });
    return failed;
  }

  outcomes(): PropertyOutcome[] {
    return this.properties.map((p, k) => {
      const i = this.at[k];
      switch (p.kind) {
        case 'always':
          return { name: p.name, kind: p.kind, ok: i === null, record: i, explanation: i === null ? 'held after every step' : `violated after record ${i}` };
        case 'sometimes':
          return { name: p.name, kind: p.kind, ok: i !== null, record: i, explanation: i === null ? 'no witness in this run' : `witnessed at record ${i}` };
        case 'eventually':
          return { name: p.name, kind: p.kind, ok: i !== null, record: i, explanation: i === null ? 'not reached within this run' : `reached at record ${i}` };
      }
    });
  }
}
