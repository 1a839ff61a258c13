/**
 * Worlds that note what properties read from them, so that a property need not be evaluated again
 * after a step that changed nothing it read.
 */
import type { Instance } from '../core/instance.ts';
import type { InFlight, NodeView, OutputRecord, World } from '../core/properties.ts';

/** The global state of a run, as a tracked World reads it (an execution). */
export interface WorldSource {
  readonly inst: Instance;
  readonly roleIndex: ReadonlyMap<string, number>;
  /** By role index, the states of the role's nodes in declaration order. */
  readonly roleStates: readonly (readonly unknown[])[];
  views(): readonly NodeView[];
  view(i: number): NodeView;
  messagesInFlight(): InFlight[];
  outputList(): OutputRecord[];
}

/** What a round of property evaluations had read when a property finished (see `Reads`). */
export interface ReadSet {
  readonly all: boolean;
  readonly messages: boolean;
  readonly outputs: boolean;
  readonly roles: readonly boolean[];
  readonly nodes: ReadonlySet<number>;
}

/**
 * The parts of the global state that property evaluations read from a World: all node views
 * (`nodes`), single node views (`node(id)`), the states of a role (`statesOf`), the messages in
 * flight, the outputs. Grows as reads happen until `reset`; `snapshot` freezes what has been read.
 */
export class Reads {
  private all = false;
  private messages = false;
  private outputs = false;
  private readonly roles: boolean[];
  private readonly nodes = new Set<number>();
  private anyRole = false;
  /** The snapshot taken since the last new read, if any. */
  private current: ReadSet | null = null;

  constructor(roleCount: number) {
    this.roles = new Array<boolean>(roleCount).fill(false);
  }

  reset(): void {
    this.all = this.messages = this.outputs = false;
    if (this.anyRole) {
      for (let i = 0; i < this.roles.length; i++) this.roles[i] = false;
      this.anyRole = false;
    }
    if (this.nodes.size > 0) this.nodes.clear();
    this.current = null;
  }

  readAll(): void {
    if (!this.all) {
      this.all = true;
      this.current = null;
    }
  }

  readMessages(): void {
    if (!this.messages) {
      this.messages = true;
      this.current = null;
    }
  }

  readOutputs(): void {
    if (!this.outputs) {
      this.outputs = true;
      this.current = null;
    }
  }

  readRole(role: number): void {
    if (!this.roles[role]) {
      this.roles[role] = true;
      this.anyRole = true;
      this.current = null;
    }
  }

  readNode(node: number): void {
    if (!this.nodes.has(node)) {
      this.nodes.add(node);
      this.current = null;
    }
  }

  /**
   * What has been read so far: `previous` itself when it is the same, else the last snapshot when
   * nothing was read since (so that properties reading the same things share one ReadSet).
   */
  snapshot(previous: ReadSet | null): ReadSet {
    if (previous !== null && (previous === this.current || this.same(previous))) return (this.current = previous);
    return (this.current ??= { all: this.all, messages: this.messages, outputs: this.outputs, roles: this.roles.slice(), nodes: new Set(this.nodes) });
  }

  private same(r: ReadSet): boolean {
    if (r.all !== this.all || r.messages !== this.messages || r.outputs !== this.outputs || r.nodes.size !== this.nodes.size) return false;
    for (let i = 0; i < this.roles.length; i++) if (r.roles[i] !== this.roles[i]) return false;
    for (const x of this.nodes) if (!r.nodes.has(x)) return false;
    return true;
  }
}

/**
 * The global state of an execution as properties see it, for one round of property evaluations:
 * every read is noted in `reads`. Node views and role state lists come from the execution as they
 * are now, so a round must finish before the next event.
 */
export class TrackedWorld implements World {
  private messagesCache?: readonly InFlight[];
  private outputsCache?: readonly OutputRecord[];

  constructor(private readonly exec: WorldSource, private readonly reads: Reads) {}

  get params() {
    return this.exec.inst.topo.params;
  }

  get nodes(): readonly NodeView[] {
    this.reads.readAll();
    return this.exec.views();
  }

  get messages(): readonly InFlight[] {
    this.reads.readMessages();
    return (this.messagesCache ??= this.exec.messagesInFlight());
  }

  get outputs(): readonly OutputRecord[] {
    this.reads.readOutputs();
    return (this.outputsCache ??= this.exec.outputList());
  }

  node(id: string): NodeView {
    const topo = this.exec.inst.topo;
    const i = topo.index.get(id);
    if (i === undefined) throw new Error(`no node ${JSON.stringify(id)} (nodes: ${topo.ids.join(', ')})`);
    this.reads.readNode(i);
    return this.exec.view(i);
  }

  statesOf<S = any>(role: string): S[] {
    const r = this.exec.roleIndex.get(role);
    if (r === undefined) return [];
    this.reads.readRole(r);
    return this.exec.roleStates[r].slice() as S[];
  }
}

