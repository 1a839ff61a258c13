import type { Property, PropertyKind, World } from '../core/properties.ts';
import type { Execution } from './execution.ts';
import { Reads } from './reads.ts';
import type { ReadSet } from './reads.ts';

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

/**
 * Evaluates every property after each step and remembers the first record where each one decided.
 *
 * `check` does this for an execution without evaluating again what cannot have changed: a property is
 * a pure predicate over the global state, so its verdict after a step equals its last one unless
 * something it read last time changed since. What it read is noted by the World it was given, with
 * one World per round of evaluations; a property may reuse what another one worked out from the same
 * World (a cache keyed by the World), so each is charged with the reads of every property evaluated
 * before it in that round as well as its own.
 */
export class Monitor {
  private readonly at: (number | null)[];
  /** Per property, what it (and the properties before it in its round) read when it was last evaluated. */
  private readonly reads: (ReadSet | null)[];
  private tracked?: Reads;

  constructor(private readonly properties: readonly Property[]) {
    this.at = properties.map(() => null);
    this.reads = properties.map(() => null);
  }

  /**
   * Checks the properties against the state of `exec` after record `i`, as `observe` does, evaluating
   * only those that read something that changed since the last check; returns the first `always` that fails now.
   */
  check(exec: Execution, i: number): Property | undefined {
    let failed: Property | undefined;
    let world: World | undefined;
    // Properties that read the same things share a ReadSet: work out once whether it was touched.
    let seen: ReadSet | null = null;
    let seenTouched = false;
    for (let k = 0; k < this.properties.length; k++) {
      if (this.at[k] !== null) continue;
      const last = this.reads[k];
      if (last !== null) {
        if (last !== seen) {
          seen = last;
          seenTouched = touched(last, exec);
        }
        if (!seenTouched) continue;
      }
      const p = this.properties[k];
      if (!world) {
        this.tracked ??= new Reads(exec.roleStates.length);
        this.tracked.reset();
        world = exec.trackedWorld(this.tracked);
      }
      let holds: boolean;
      try {
        holds = p.holds(world);
      } catch (err) {
        throw new PropertyCheckError(p, i, err);
      }
      this.reads[k] = this.tracked!.snapshot(last);
      if (holds === (p.kind === 'always')) continue;
      this.at[k] = i;
      if (p.kind === 'always') failed ??= p;
    }
    exec.clearChanges();
    return failed;
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

/** Whether anything in `reads` may differ from when it was read, going by what `exec` noted since. */
function touched(reads: ReadSet, exec: Execution): boolean {
  if (reads.messages && exec.messagesChanged) return true;
  if (reads.outputs && exec.outputsChanged) return true;
  const nodes = exec.changedNodes;
  for (let j = 0; j < nodes.length; j++) {
    const x = nodes[j];
    if (reads.all || reads.nodes.has(x)) {
      if (exec.viewChanged(x) || exec.stateChanged(x)) return true;
    } else if (reads.roles[exec.roleOf[x]] && exec.stateChanged(x)) {
      return true;
    }
  }
  return false;
}
