import { encode, isPlain, PlainDataError } from './plain.ts';
import type { Plain } from './plain.ts';
import type { Ctx, Message, MessageCtx, NodeDecl, ParamValue } from './protocol.ts';

/** Effects a handler requested, in the order it requested them. */
export type Effect =
  | { readonly kind: 'send'; readonly to: string; readonly msg: Message }
  | { readonly kind: 'setTimer'; readonly name: string; readonly delayMs: number }
  | { readonly kind: 'cancelTimer'; readonly name: string }
  | { readonly kind: 'output'; readonly value: Plain };

/** What reaches a node: its start, a message, or one of its timers. */
export type NodeEvent =
  | { readonly kind: 'start' }
  | { readonly kind: 'recover' }
  | { readonly kind: 'message'; readonly from: string; readonly msg: Message }
  | { readonly kind: 'timer'; readonly name: string };

export interface StepResult {
  readonly state: unknown;
  /** The canonical encoding of `state`. */
  readonly encoded: string;
  readonly effects: readonly Effect[];
}

/** A handler failed or produced something unusable; names the node and the event. */
export class HandlerError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'HandlerError';
  }
}

export function describeEvent(event: NodeEvent): string {
  switch (event.kind) {
    case 'start': return 'start';
    case 'recover': return 'recovery';
    case 'message': return `message ${event.msg.type} from ${event.from}`;
    case 'timer': return `timer ${event.name}`;
  }
}

/** The static surroundings of the nodes of one protocol instance. */
export class Topology {
  readonly ids: readonly string[];
  readonly index: ReadonlyMap<string, number>;
  private readonly byRole = new Map<string, string[]>();
  private readonly roleIndices = new Map<string, number[]>();

  constructor(readonly decls: readonly NodeDecl[], readonly params: Readonly<Record<string, ParamValue>>) {
    this.ids = decls.map((d) => d.id);
    const index = new Map<string, number>();
    decls.forEach((d, i) => {
      if (index.has(d.id)) throw new HandlerError(`two nodes are named ${JSON.stringify(d.id)}: node ids must be distinct`);
      index.set(d.id, i);
      let list = this.byRole.get(d.role);
      if (!list) this.byRole.set(d.role, (list = []));
      list.push(d.id);
    });
    this.index = index;
  }

  nodesOf(role: string): readonly string[] {
    return this.byRole.get(role) ?? [];
  }

  /** The indices of the nodes of one role, in declaration order. */
  indicesOf(role: string): readonly number[] {
    let out = this.roleIndices.get(role);
    if (!out) this.roleIndices.set(role, (out = this.nodesOf(role).map((id) => this.index.get(id)!)));
    return out;
  }
}

/** The `ctx` a handler gets: it records each requested effect, checking it first. */
class RecordingCtx implements MessageCtx<Message, string> {
  readonly effects: Effect[] = [];
  readonly self: string;
  readonly params: Readonly<Record<string, ParamValue>>;
  readonly nodes: readonly string[];
  readonly from: string;
  private readonly decl: NodeDecl;

  constructor(private readonly topo: Topology, private readonly i: number, private readonly event: NodeEvent) {
    this.decl = topo.decls[i];
    this.self = this.decl.id;
    this.params = topo.params;
    this.nodes = topo.ids;
    this.from = event.kind === 'message' ? event.from : '';
  }

  where(): string {
    return handlerContext(this.topo, this.i, this.event);
  }

  nodesOf(role: string): readonly string[] {
    return this.topo.nodesOf(role);
  }

  send(to: string, msg: Message): void {
    if (!this.topo.index.has(to)) {
      throw new HandlerError(`${this.where()} sent to ${JSON.stringify(to)}, which is not a node (nodes: ${this.topo.ids.join(', ')})`);
    }
    this.checkMessage(msg);
    this.effects.push({ kind: 'send', to, msg });
  }

  broadcast(msg: Message, role?: string): void {
    this.checkMessage(msg);
    for (const to of role === undefined ? this.topo.ids : this.topo.nodesOf(role)) this.effects.push({ kind: 'send', to, msg });
  }

  setTimer(name: string, delayMs = 0): void {
    const timers = this.decl.def.timers;
    if (!timers || typeof timers[name] !== 'function') {
      throw new HandlerError(`${this.where()} set timer ${JSON.stringify(name)}, which role ${this.decl.role} has no handler for`);
    }
    this.effects.push({ kind: 'setTimer', name, delayMs });
  }

  cancelTimer(name: string): void {
    this.effects.push({ kind: 'cancelTimer', name });
  }

  output(value: Plain): void {
    if (!isPlain(value)) encode(value, 'output', this.where());
    this.effects.push({ kind: 'output', value });
  }

  private checkMessage(msg: unknown): void {
    if (typeof msg !== 'object' || msg === null || typeof (msg as Message).type !== 'string') {
      throw new HandlerError(`${this.where()} sent ${JSON.stringify(msg)}: a message must be an object with a string "type"`);
    }
    if (!isPlain(msg)) encode(msg, 'message', this.where());
  }
}


/**
 * Runs one handler of node `i` purely and returns its next state (not yet checked to be plain data)
 * and the effects it requested; `stepNode` is this and the check.
 */
export function runHandler(topo: Topology, i: number, state: unknown, event: NodeEvent): { readonly state: unknown; readonly effects: readonly Effect[] } {
  const decl = topo.decls[i];
  const ctx = new RecordingCtx(topo, i, event);
  let next: unknown;
  try {
    switch (event.kind) {
      case 'start':
        next = decl.def.init(ctx as Ctx<Message, string>);
        break;
      case 'recover':
        next = decl.def.recover ? decl.def.recover(state, ctx as Ctx<Message, string>) : state;
        break;
      case 'message': {
        const handler = decl.def.on?.[event.msg.type];
        next = handler ? handler(state, event.msg, ctx) : state;
        break;
      }
      case 'timer': {
        const handler = decl.def.timers?.[event.name];
        if (!handler) throw new HandlerError(`${ctx.where()}: role ${decl.role} has no timer ${JSON.stringify(event.name)}`);
        next = handler(state, ctx);
        break;
      }
    }
  } catch (err) {
    if (err instanceof HandlerError || (err as Error)?.name === 'PlainDataError') throw err;
    throw new HandlerError(`${ctx.where()} threw: ${(err as Error)?.message ?? String(err)}`, { cause: err });
  }
  if (next === undefined) throw new HandlerError(`${ctx.where()} returned undefined: a handler must return the next state`);
  return { state: next, effects: ctx.effects };
}

/** The error context of node `i` handling `event`, as handler errors name it. */
export function handlerContext(topo: Topology, i: number, event: NodeEvent): string {
  const decl = topo.decls[i];
  return `node ${decl.id} (${decl.role}) handling ${describeEvent(event)}`;
}

/**
 * Runs one handler of node `i` purely: the effects it requests through `ctx` are collected and
 * returned with its next state, which is checked to be plain data.
 */
export function stepNode(topo: Topology, i: number, state: unknown, event: NodeEvent): StepResult {
  const { state: next, effects } = runHandler(topo, i, state, event);
  return { state: next, encoded: encodeState(topo, i, event, next), effects };
}

/** A state's encoding, which checks it is plain data; the error names the handler that returned it. */
function encodeState(topo: Topology, i: number, event: NodeEvent, state: unknown): string {
  try {
    return encode(state, 'state');
  } catch (err) {
    // Encoded again with the context, which the error names; built only when it is needed.
    if (err instanceof PlainDataError) encode(state, 'state', handlerContext(topo, i, event));
    throw err;
  }
}

/** The state a crashed node restarts from: its durable fields kept, the rest taken from a fresh start. */
export function recoveredState(decl: NodeDecl, before: unknown, fresh: unknown): unknown {
  const durable = decl.def.durable;
  if (!durable || durable.length === 0) return fresh;
  if (typeof fresh !== 'object' || fresh === null || Array.isArray(fresh)) {
    throw new HandlerError(`node ${decl.id} (${decl.role}) declares durable fields, so its state must be an object`);
  }
  const out: Record<string, unknown> = { ...(fresh as Record<string, unknown>) };
  for (const key of durable) out[key] = (before as Record<string, unknown>)[key];
  return out;
}

/**
 * Restarts node `i` after a crash: a fresh `init` with the durable fields of `before` restored, then
 * the role's `recover` handler with its effects (or, without one, `init`'s effects).
 */
export function restartNode(topo: Topology, i: number, before: unknown): StepResult {
  const { state, effects } = runRestart(topo, i, before);
  return { state, encoded: encodeState(topo, i, { kind: 'recover' }, state), effects };
}

/** `restartNode` without checking the state is plain data (as `runHandler` is to `stepNode`). */
export function runRestart(topo: Topology, i: number, before: unknown): { readonly state: unknown; readonly effects: readonly Effect[] } {
  const decl = topo.decls[i];
  const fresh = runHandler(topo, i, null, { kind: 'start' });
  const restored = recoveredState(decl, before, fresh.state);
  if (!decl.def.recover) return { state: restored, effects: fresh.effects };
  return runHandler(topo, i, restored, { kind: 'recover' });
}
