import { Worker } from 'node:worker_threads';
import type { Protocol } from '../core/protocol.ts';
import type { NetworkOptions } from '../core/network.ts';
import type { PropertyKind } from '../core/properties.ts';
import type { Trace } from '../core/trace.ts';
import type { ParamValue } from '../core/protocol.ts';
import { createEngine, createSharedBuffers } from './engine.ts';
import type { Engine, SharedBuffers } from './engine.ts';
import { CTRL_CURSOR, CTRL_STOP, STOP_BOUND } from './expander.ts';
import { FingerprintSet } from './fingerprints.ts';
import { createLevelBuffers, Level } from './frontier.ts';
import { ActionList } from './model.ts';
import type { InstanceOptions } from '../core/instance.ts';
import { instantiate } from '../core/instance.ts';
import { sourceOf } from '../core/source.ts';
import type { ProtocolSource } from '../core/source.ts';
import { buildTrace } from './trace.ts';
import { MAX_STATES } from './states.ts';

export interface CheckOptions extends InstanceOptions {
  readonly strategy?: 'bfs' | 'dfs';
  /** Threads that expand states (breadth-first only). Counts are the same for any number. */
  readonly workers?: number;
  readonly maxStates?: number;
  readonly maxDepth?: number;
  readonly timeLimitMs?: number;
  /** Stop when the process's resident memory passes this many bytes. */
  readonly memoryLimitBytes?: number;
  readonly onProgress?: (progress: Progress) => void;
  readonly progressIntervalMs?: number;
  /** Aborting ends the search soon after, with what was explored (bound `interrupted`). */
  readonly signal?: AbortSignal;
}

export interface Progress {
  readonly states: number;
  readonly transitions: number;
  readonly depth: number;
  readonly queue: number;
  readonly seconds: number;
  readonly statesPerSecond: number;
}

export type Verdict = 'holds' | 'fails' | 'found' | 'not found' | 'unknown';

export interface PropertyResult {
  readonly name: string;
  readonly kind: PropertyKind;
  readonly verdict: Verdict;
  /** The counterexample (always, eventually) or the witness (sometimes). */
  readonly trace?: Trace;
}

export type Bound = 'states' | 'depth' | 'time' | 'memory' | 'interrupted';

export interface CheckResult {
  readonly protocol: string;
  readonly params: Readonly<Record<string, ParamValue>>;
  readonly network: NetworkOptions;
  readonly symmetry: boolean;
  readonly strategy: 'bfs' | 'dfs';
  readonly workers: number;
  /** Distinct states stored (representatives, under symmetry). */
  readonly states: number;
  readonly transitions: number;
  readonly depth: number;
  readonly seconds: number;
  /** True when every reachable state was explored. */
  readonly complete: boolean;
  /** The bound that ended the search first, if any. */
  readonly bound: Bound | null;
  readonly properties: readonly PropertyResult[];
  /**
   * Bytes of the visited-state store (fingerprint table and parent links) and their cost per state,
   * and the largest the breadth-first frontier (two levels of state vectors) grew.
   */
  readonly memory: { readonly fingerprintBytes: number; readonly stateBytes: number; readonly bytesPerState: number; readonly frontierBytes: number };
  /** 0 every property holds, 1 a property failed, 3 a bound was reached before a verdict. */
  readonly exitCode: 0 | 1 | 3;
}

export class CheckOptionsError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'CheckOptionsError';
  }
}

const CHUNK = 512;

function validate(o: CheckOptions): void {
  const int = (name: string, v: number | undefined, min: number, max: number) => {
    if (v !== undefined && (!Number.isInteger(v) || v < min || v > max)) {
      throw new CheckOptionsError(`${name} must be a whole number from ${min} to ${max}, got ${v}`);
    }
  };
  int('workers', o.workers, 1, 64);
  int('max states', o.maxStates, 1, MAX_STATES - 1);
  int('max depth', o.maxDepth, 0, 1_000_000_000);
  if (o.timeLimitMs !== undefined && !(o.timeLimitMs > 0)) throw new CheckOptionsError(`time limit must be positive, got ${o.timeLimitMs}`);
  if (o.memoryLimitBytes !== undefined && !(o.memoryLimitBytes > 0)) throw new CheckOptionsError(`memory limit must be positive, got ${o.memoryLimitBytes}`);
  if (o.strategy !== undefined && o.strategy !== 'bfs' && o.strategy !== 'dfs') throw new CheckOptionsError(`strategy must be bfs or dfs, got ${o.strategy}`);
  if (o.strategy === 'dfs' && (o.workers ?? 1) > 1) throw new CheckOptionsError('depth-first search runs on one thread: use --bfs with --workers');
}

/** Explores every reachable state of a protocol instance and decides its properties. */
export async function check(protocol: Protocol, options: CheckOptions = {}): Promise<CheckResult> {
  validate(options);
  const inst = instantiate(protocol, options); // fails early, in this thread, on bad parameters
  const maxStates = options.maxStates ?? MAX_STATES - 1;
  const buffers = createSharedBuffers(inst.properties.length, maxStates);
  const engine = createEngine(inst, buffers, maxStates);
  const run = new Run(engine, buffers, options);
  const workers = options.workers ?? 1;
  const strategy = options.strategy ?? 'bfs';
  if (strategy === 'dfs') await run.dfs();
  else if (workers === 1) await run.bfsInProcess();
  else {
    const source = sourceOf(protocol);
    if (!source) throw new CheckOptionsError(`${protocol.name} was not loaded from a file or the library, so worker threads cannot load it: use one worker`);
    await run.bfsWithWorkers(workers, source);
  }
  return run.result(protocol, strategy, workers);
}

class Run {
  readonly started = performance.now();
  private readonly ctrl: Int32Array;
  private readonly found: Int32Array;
  depth = 0;
  transitions = 0;
  queue = 0;
  bound: Bound | null = null;
  private nextProgress: number;
  private peakFingerprintBytes = 0;
  private peakFrontierBytes = 0;
  private nextBreath = 0;

  constructor(readonly engine: Engine, readonly buffers: SharedBuffers, readonly options: CheckOptions) {
    this.ctrl = new Int32Array(buffers.ctrl);
    this.found = new Int32Array(buffers.found);
    this.nextProgress = this.started + (options.progressIntervalMs ?? 1000);
  }

  private get stopped(): boolean {
    return Atomics.load(this.ctrl, CTRL_STOP) !== 0;
  }

  /** Stores and judges the initial state. */
  private start(): Int32Array {
    const { model, expander, store } = this.engine;
    const v = expander.normalize(model.initial(), model.eventuallyMask).slice();
    const fp = new Int32Array(2);
    expander.fingerprintOf(v, fp);
    expander.fingerprints.add(fp[0], fp[1]);
    const index = store.add(0, 0);
    expander.judge(v, index);
    return v;
  }

  /** Time, memory and progress, between batches. */
  private tick(): void {
    const now = performance.now();
    if (this.options.signal?.aborted) this.limit('interrupted');
    if (this.options.timeLimitMs !== undefined && now - this.started > this.options.timeLimitMs) this.limit('time');
    if (this.options.memoryLimitBytes !== undefined && process.memoryUsage.rss() > this.options.memoryLimitBytes) this.limit('memory');
    if (this.options.onProgress && now >= this.nextProgress) {
      this.nextProgress = now + (this.options.progressIntervalMs ?? 1000);
      this.options.onProgress(this.progress(now));
    }
  }

  private progress(now = performance.now()): Progress {
    const seconds = (now - this.started) / 1000;
    const states = this.engine.store.size;
    return { states, transitions: this.transitions + this.engine.expander.transitions, depth: this.depth, queue: this.queue, seconds, statesPerSecond: states / Math.max(seconds, 1e-9) };
  }

  private limit(bound: Bound): void {
    if (Atomics.compareExchange(this.ctrl, CTRL_STOP, 0, STOP_BOUND) === 0) this.bound = bound;
  }

  /** Makes room in the shared tables for `more` insertions; only while no other thread inserts. */
  private ensureRoom(more: number): void {
    let set = this.engine.expander.fingerprints;
    while (set.wouldOverfill(more)) set = new FingerprintSet(set.grown());
    this.engine.expander.fingerprints = set;
    this.peakFingerprintBytes = Math.max(this.peakFingerprintBytes, set.bytes);
    const intern = this.engine.model.intern;
    while (intern.wouldOverfill(more)) intern.use(intern.grown());
  }

  private headroom(workers: number): number {
    return CHUNK * Math.max(this.engine.expander.maxBranch, 32) * workers * 2;
  }

  /** Lets timers and signal handlers run (a search on the main thread is otherwise one long task). */
  private async breathe(): Promise<void> {
    const now = performance.now();
    if (now < this.nextBreath) return;
    this.nextBreath = now + 50;
    await new Promise((resolve) => setImmediate(resolve));
  }

  async bfsInProcess(): Promise<void> {
    let level = new Level(createLevelBuffers());
    let next = new Level(createLevelBuffers());
    level.push(0, this.start());
    const expander = this.engine.expander;
    while (level.size > 0 && !this.stopped) {
      if (this.options.maxDepth !== undefined && this.depth >= this.options.maxDepth) { this.limit('depth'); break; }
      next.clear();
      for (let k = 0; k < level.size && !this.stopped; k += CHUNK) {
        this.ensureRoom(this.headroom(1));
        this.queue = level.size - k + next.size;
        expander.expand(level, k, Math.min(level.size, k + CHUNK), next);
        this.tick();
        await this.breathe();
      }
      this.peakFrontierBytes = level.peakBytes + next.peakBytes;
      if (next.size > 0) this.depth++;
      [level, next] = [next, level];
    }
    this.queue = level.size;
    this.noteBoundFromStop();
  }

  async dfs(): Promise<void> {
    const { model, expander, store } = this.engine;
    const fp = new Int32Array(2);
    type Frame = { v: Int32Array; index: number; actions: ActionList; next: number; moved: boolean; fp: Int32Array };
    const frame = (v: Int32Array, index: number): Frame => {
      const actions = new ActionList();
      model.enumerate(v, actions);
      const own = new Int32Array(2);
      expander.fingerprintOf(v, own);
      return { v, index, actions, next: 0, moved: false, fp: own };
    };
    const stack: Frame[] = [frame(this.start(), 0)];
    let sinceTick = 0;
    while (stack.length > 0 && !this.stopped) {
      const top = stack[stack.length - 1];
      if (top.next >= top.actions.length) {
        if (!top.moved) expander.judgeQuiescent(top.v, top.index);
        stack.pop();
        continue;
      }
      const a = top.next++;
      const w = expander.normalize(model.apply(top.v, top.actions.kind[a], top.actions.node[a], top.actions.arg[a]), top.v[0]);
      expander.fingerprintOf(w, fp);
      expander.transitions++;
      if (fp[0] !== top.fp[0] || fp[1] !== top.fp[1]) top.moved = true;
      if (this.options.maxDepth !== undefined && stack.length > this.options.maxDepth) { this.bound ??= 'depth'; continue; }
      if (!expander.fingerprints.add(fp[0], fp[1])) continue;
      const index = store.add(top.index, a);
      expander.judge(w, index);
      if (index + 1 >= expander.maxStates) { this.limit('states'); break; }
      stack.push(frame(w.slice(), index));
      if (stack.length > this.depth) this.depth = stack.length - 1;
      this.queue = stack.length;
      if (++sinceTick === 4096) {
        sinceTick = 0;
        this.ensureRoom(1 << 16);
        this.tick();
        await this.breathe();
      }
    }
    if (this.bound === 'depth' && Atomics.load(this.ctrl, CTRL_STOP) === 0) Atomics.store(this.ctrl, CTRL_STOP, STOP_BOUND);
    this.noteBoundFromStop();
  }

  async bfsWithWorkers(count: number, source: ProtocolSource): Promise<void> {
    const level0 = createLevelBuffers();
    const level1 = createLevelBuffers();
    let level = new Level(level0);
    let next = new Level(level1);
    level.push(0, this.start());
    this.ensureRoom(this.headroom(count));
    const workerUrl = new URL('./worker.js', import.meta.url);
    const workers = Array.from({ length: count }, () => new Worker(workerUrl, {
      workerData: { source, options: instanceOptions(this.options), buffers: this.buffers, maxStates: this.engine.expander.maxStates, chunk: CHUNK },
    }));
    const timer = setInterval(() => this.tick(), Math.min(250, this.options.progressIntervalMs ?? 250));
    this.engine.model.intern.soleWriter = false;
    try {
      while (level.size > 0 && !this.stopped) {
        if (this.options.maxDepth !== undefined && this.depth >= this.options.maxDepth) { this.limit('depth'); break; }
        next.clear();
        Atomics.store(this.ctrl, CTRL_CURSOR, 0);
        this.queue = level.size;
        for (;;) {
          const fingerprints = this.engine.expander.fingerprints.buffers;
          const intern = this.engine.model.intern.current;
          const reports = await Promise.all(workers.map((w) => ask(w, { level: level.buffers, next: next.buffers, fingerprints, intern })));
          for (const r of reports) {
            this.transitions += r.transitions;
            this.engine.expander.maxBranch = Math.max(this.engine.expander.maxBranch, r.maxBranch);
          }
          if (!reports.some((r) => r.paused) || this.stopped) break;
          this.ensureRoom(this.headroom(count));
        }
        this.peakFrontierBytes = level.peakBytes + next.peakBytes;
        if (next.size > 0) this.depth++;
        [level, next] = [next, level];
        this.ensureRoom(this.headroom(count));
      }
    } finally {
      clearInterval(timer);
      await Promise.all(workers.map((w) => w.terminate()));
      this.engine.model.intern.soleWriter = true;
    }
    this.queue = level.size;
    this.noteBoundFromStop();
  }

  private noteBoundFromStop(): void {
    if (Atomics.load(this.ctrl, CTRL_STOP) === STOP_BOUND && this.bound === null) this.bound = 'states';
  }

  result(protocol: Protocol, strategy: 'bfs' | 'dfs', workers: number): CheckResult {
    const { model, canon, store, expander } = this.engine;
    const complete = Atomics.load(this.ctrl, CTRL_STOP) === 0 && this.bound === null;
    const properties = model.inst.properties.map((p, i): PropertyResult => {
      const at = Atomics.load(this.found, i);
      const trace = at > 0 ? buildTrace(model, store.path(at - 1), canon, (w, f) => expander.normalize(w, f)) : undefined;
      if (p.kind === 'sometimes') return { name: p.name, kind: p.kind, verdict: at > 0 ? 'found' : complete ? 'not found' : 'unknown', trace };
      return { name: p.name, kind: p.kind, verdict: at > 0 ? 'fails' : complete ? 'holds' : 'unknown', trace };
    });
    const seconds = (performance.now() - this.started) / 1000;
    const states = store.size;
    const fingerprintBytes = Math.max(this.peakFingerprintBytes, expander.fingerprints.bytes);
    const failed = properties.some((p) => p.verdict === 'fails' || p.verdict === 'not found');
    return {
      protocol: protocol.name,
      params: model.inst.params,
      network: model.inst.network,
      symmetry: canon !== null,
      strategy,
      workers,
      states,
      transitions: this.transitions + expander.transitions,
      depth: this.depth,
      seconds,
      complete,
      bound: this.bound,
      properties,
      memory: { fingerprintBytes, stateBytes: store.bytesUsed, bytesPerState: (fingerprintBytes + store.bytesUsed) / Math.max(1, states), frontierBytes: this.peakFrontierBytes },
      exitCode: failed ? 1 : complete ? 0 : 3,
    };
  }
}

function instanceOptions(o: CheckOptions): InstanceOptions {
  return { params: o.params, network: o.network, symmetry: o.symmetry };
}

interface Report {
  readonly transitions: number;
  readonly maxBranch: number;
  readonly paused: boolean;
}

/** Sends one batch of work to a worker and waits for its report (or its error). */
function ask(worker: Worker, job: unknown): Promise<Report> {
  return new Promise((resolve, reject) => {
    const onMessage = (msg: { report?: Report; error?: { name: string; message: string } }) => {
      cleanup();
      if (msg.error) {
        const err = new Error(msg.error.message);
        err.name = msg.error.name;
        reject(err);
      } else resolve(msg.report!);
    };
    const onError = (err: Error) => { cleanup(); reject(err); };
    const cleanup = () => { worker.off('message', onMessage); worker.off('error', onError); };
    worker.on('message', onMessage);
    worker.on('error', onError);
    worker.postMessage(job);
  });
}
