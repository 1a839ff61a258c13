import type { Property } from '../core/properties.ts';
import { FingerprintSet, hashVector } from './fingerprints.ts';
import type { Level } from './frontier.ts';
import { ActionList, Model } from './model.ts';
import { StateStore } from './states.ts';
import type { Canonicalizer } from './symmetry.ts';

/** Shared control words of one search. */
export const CTRL_CURSOR = 0; // next record of the current level to hand out
export const CTRL_STOP = 1; // 1: every safety and progress property has failed, 2: a bound was reached
export const CTRL_WORDS = 2;
export const STOP_VIOLATION = 1;
export const STOP_BOUND = 2;

/** Thrown when a property's predicate throws; names the property. */
export class PropertyError extends Error {
  constructor(property: Property, cause: unknown) {
    super(`property ${property.name} threw: ${(cause as Error)?.message ?? String(cause)}`, { cause });
    this.name = 'PropertyError';
  }
}

/**
 * Expands states: the same code runs in the main thread and in every worker, over shared tables,
 * so that one worker and many find the same set of states.
 */
export class Expander {
  private readonly actions = new ActionList();
  private readonly fp = new Int32Array(2);
  private readonly own = new Int32Array(2);
  private readonly hasEventually: boolean;
  private readonly incremental: boolean;
  transitions = 0;
  maxBranch = 0;

  constructor(
    readonly model: Model,
    public fingerprints: FingerprintSet,
    readonly store: StateStore,
    /** Per property: 0, or 1 + the index of the state that decides it (violation or witness). */
    readonly found: Int32Array,
    readonly ctrl: Int32Array,
    readonly maxStates: number,
    private readonly canon: Canonicalizer | null,
  ) {
    this.hasEventually = model.eventuallyMask !== 0;
    this.incremental = model.incremental;
  }

  /** Evaluates the properties on a newly stored state. */
  judge(w: Int32Array, index: number, world = this.model.world(w)): void {
    const props = this.model.inst.properties;
    for (let i = 0; i < props.length; i++) {
      const p = props[i];
      if (p.kind === 'eventually') continue;
      if (p.kind === 'sometimes' && Atomics.load(this.found, i) !== 0) continue;
      let holds: boolean;
      try {
        holds = p.holds(world);
      } catch (err) {
        throw new PropertyError(p, err);
      }
      if (p.kind === 'sometimes' && holds) Atomics.compareExchange(this.found, i, 0, index + 1);
      if (p.kind === 'always' && !holds) this.violated(i, index);
    }
  }

  /** The initial state, normalized (eventually bits settled, symmetry applied). */
  normalize(w: Int32Array, parentFlags: number): Int32Array {
    if (this.canon) w = this.canon.canonical(w);
    if (this.hasEventually) this.model.settleEventually(w, parentFlags, this.model.world(w));
    return w;
  }

  /** The fingerprint of a state vector, by this search's method (incremental or whole-vector). */
  fingerprintOf(v: Int32Array, out: Int32Array): void {
    if (this.incremental) this.model.fingerprint(v, out);
    else hashVector(v, out);
  }

  /** Expands records [from, to) of `level` into `next`, until the search is told to stop. */
  expand(level: Level, from: number, to: number, next: Level): void {
    const model = this.model;
    const actions = this.actions;
    const fp = this.fp;
    const own = this.own;
    for (let k = from; k < to && Atomics.load(this.ctrl, CTRL_STOP) === 0; k++) {
      const parent = level.indexAt(k);
      const v = level.vectorAt(k);
      model.enumerate(v, actions);
      if (actions.length > this.maxBranch) this.maxBranch = actions.length;
      this.fingerprintOf(v, own);
      let moved = false;
      for (let a = 0; a < actions.length; a++) {
        this.transitions++;
        let w: Int32Array;
        if (this.incremental) {
          // Duplicates, most successors, are recognized from the fingerprint alone.
          model.successorFingerprint(v, own, actions.kind[a], actions.node[a], actions.arg[a], fp);
          if (fp[0] === own[0] && fp[1] === own[1]) continue; // a step that changes nothing
          if (!this.fingerprints.add(fp[0], fp[1])) continue;
          w = model.apply(v, actions.kind[a], actions.node[a], actions.arg[a]);
        } else {
          const raw = model.apply(v, actions.kind[a], actions.node[a], actions.arg[a]);
          if (sameVector(raw, v)) continue; // a step that changes nothing, common on duplicating networks
          w = this.normalize(raw, v[0]);
          hashVector(w, fp);
          if (fp[0] !== own[0] || fp[1] !== own[1]) moved = true;
          if (!this.fingerprints.add(fp[0], fp[1])) continue;
        }
        const index = this.store.add(parent, a);
        next.push(index, w);
        this.judge(w, index);
        if (index + 1 >= this.maxStates) {
          Atomics.compareExchange(this.ctrl, CTRL_STOP, 0, STOP_BOUND);
          return;
        }
      }
      if (this.hasEventually && !moved) this.judgeQuiescent(v, parent);
    }
  }

  /**
   * Records the first counterexample of property i. The search goes on until every safety and
   * progress property has one, so that each failing property is reported with its shortest trace.
   */
  private violated(i: number, index: number): void {
    if (Atomics.compareExchange(this.found, i, 0, index + 1) !== 0) return;
    const props = this.model.inst.properties;
    for (let j = 0; j < props.length; j++) {
      if (props[j].kind !== 'sometimes' && Atomics.load(this.found, j) === 0) return;
    }
    Atomics.store(this.ctrl, CTRL_STOP, STOP_VIOLATION);
  }

  /** A state with nowhere else to go: every `eventually` property still pending there has failed. */
  judgeQuiescent(v: Int32Array, index: number): void {
    const pending = v[0] & this.model.eventuallyMask;
    if (pending === 0) return;
    const props = this.model.inst.properties;
    let bit = 1 << 8;
    for (let i = 0; i < props.length; i++) {
      if (props[i].kind !== 'eventually') continue;
      if (pending & bit) this.violated(i, index);
      bit <<= 1;
    }
  }
}

function sameVector(a: Int32Array, b: Int32Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = a.length - 1; i >= 0; i--) if (a[i] !== b[i]) return false;
  return true;
}
