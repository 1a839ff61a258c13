import { Expander, CTRL_WORDS } from './expander.ts';
import { createFingerprintBuffers, FingerprintSet } from './fingerprints.ts';
import type { FingerprintBuffers } from './fingerprints.ts';
import type { Instance } from '../core/instance.ts';
import { createInternBuffers, InternTable } from './intern.ts';
import type { InternBuffers } from './intern.ts';
import { Model } from './model.ts';
import { createStateStoreBuffers, StateStore } from './states.ts';
import type { StateStoreBuffers } from './states.ts';
import { Canonicalizer } from './symmetry.ts';

/** Everything threads share in one search. */
export interface SharedBuffers {
  readonly intern: InternBuffers;
  readonly fingerprints: FingerprintBuffers;
  readonly store: StateStoreBuffers;
  readonly found: SharedArrayBuffer;
  readonly ctrl: SharedArrayBuffer;
}

export function createSharedBuffers(properties: number, maxStates: number): SharedBuffers {
  return {
    intern: createInternBuffers(),
    fingerprints: createFingerprintBuffers(1 << 14),
    store: createStateStoreBuffers(maxStates),
    found: new SharedArrayBuffer(Math.max(4, properties * 4)),
    ctrl: new SharedArrayBuffer(CTRL_WORDS * 4),
  };
}

/** One thread's view of a search: the compiled model and an expander over the shared tables. */
export interface Engine {
  readonly model: Model;
  readonly expander: Expander;
  readonly canon: Canonicalizer | null;
  readonly store: StateStore;
}

export function createEngine(inst: Instance, buffers: SharedBuffers, maxStates: number): Engine {
  const model = new Model(inst, new InternTable(buffers.intern));
  const canon = inst.symmetry.length > 0 ? new Canonicalizer(model, inst.symmetry) : null;
  const store = new StateStore(buffers.store);
  const expander = new Expander(
    model, new FingerprintSet(buffers.fingerprints), store,
    new Int32Array(buffers.found), new Int32Array(buffers.ctrl), maxStates, canon);
  return { model, expander, canon, store };
}
