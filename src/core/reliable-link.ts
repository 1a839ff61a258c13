/**
 * An ordered reliable link adapter, as a protocol transformer (Verdi's system transformers, Babel's
 * channel abstractions): `withReliableLinks(protocol)` is the same protocol with every message carried
 * by a per-channel link layer — sequence numbers, cumulative acknowledgements, retransmission on a
 * timer, duplicate suppression and in-order delivery — so a protocol written for a reliable FIFO
 * network keeps its properties on a lossy, duplicating, reordering one.
 *
 * The layer lives in each node's state, under the field `link` (so node states must be objects): per
 * peer, the last sequence number sent, the messages not yet acknowledged, the last delivered in order,
 * and those that arrived early. The field is durable when the role has durable fields, as a real link
 * layer would log its sequence numbers. The application's handlers never see it; properties see the
 * application's states and, as messages in flight, the bodies of data frames.
 */
import type { Ctx, Message, MessageCtx, Protocol, Role } from './protocol.ts';
import { defineProtocol } from './protocol.ts';
import type { InFlight, NodeView, Property, World } from './properties.ts';
import { HandlerError } from './step.ts';

/** The link layer's frames: an application message with its sequence number, and a cumulative ack. */
export type LinkFrame =
  | { type: 'link-data'; seq: number; body: Message }
  | { type: 'link-ack'; upTo: number };

/** Per peer: what was sent and not acknowledged, and what was received. */
export interface LinkState {
  /** Last sequence number used towards each peer. */
  readonly sent: Readonly<Record<string, number>>;
  /** Messages not yet acknowledged, by peer and sequence number. */
  readonly unacked: Readonly<Record<string, Readonly<Record<string, Message>>>>;
  /** Highest sequence number delivered in order, from each peer. */
  readonly delivered: Readonly<Record<string, number>>;
  /** Messages received ahead of a gap, by peer and sequence number. */
  readonly early: Readonly<Record<string, Readonly<Record<string, Message>>>>;
}

export const RETRANSMIT = 'link-retransmit';
const EMPTY: LinkState = { sent: {}, unacked: {}, delivered: {}, early: {} };
type Obj = Record<string, unknown>;

function appOf(state: unknown): Obj {
  const { link: _, ...app } = state as Obj;
  return app;
}

function checkObject(role: string, state: unknown): Obj {
  if (typeof state !== 'object' || state === null || Array.isArray(state)) {
    throw new HandlerError(`withReliableLinks: role ${role} has a state that is not an object, so the link layer cannot keep its own field in it`);
  }
  if ('link' in state) throw new HandlerError(`withReliableLinks: role ${role} already has a state field named "link"`);
  return state as Obj;
}

const without = <T>(rec: Readonly<Record<string, T>>, key: string): Record<string, T> => {
  const { [key]: _, ...rest } = rec;
  return rest;
};

/**
 * Runs an application handler with a ctx that routes its sends through the link layer. Returns the
 * new link state; the caller adds it to the application's new state.
 */
function runApp(link: LinkState, ctx: Ctx<Message, string>, run: (appCtx: Ctx<Message, string>) => void, retransmitMs: number): LinkState {
  let next = link;
  const send = (to: string, msg: Message) => {
    const seq = (next.sent[to] ?? 0) + 1;
    next = {
      ...next,
      sent: { ...next.sent, [to]: seq },
      unacked: { ...next.unacked, [to]: { ...next.unacked[to], [seq]: msg } },
    };
    ctx.send(to, { type: 'link-data', seq, body: msg });
    ctx.setTimer(RETRANSMIT, retransmitMs);
  };
  const appCtx: Ctx<Message, string> = {
    self: ctx.self, params: ctx.params, nodes: ctx.nodes,
    nodesOf: (role) => ctx.nodesOf(role),
    send,
    broadcast: (msg, role) => { for (const to of role === undefined ? ctx.nodes : ctx.nodesOf(role)) send(to, msg); },
    setTimer: (name, delayMs) => ctx.setTimer(name, delayMs),
    cancelTimer: (name) => ctx.cancelTimer(name),
    output: (value) => ctx.output(value),
  };
  const withFrom = 'from' in ctx ? { ...appCtx, from: (ctx as MessageCtx<Message, string>).from } : appCtx;
  run(withFrom);
  return next;
}

function wrapRole(roleName: string, inner: Role, retransmitMs: number): Role {
  const deliver = (app: Obj, msg: Message, ctx: MessageCtx<Message, string>): Obj => {
    const handler = inner.on?.[msg.type as never] as ((s: unknown, m: Message, c: MessageCtx<Message, string>) => unknown) | undefined;
    return handler ? checkObject(roleName, handler(app, msg, ctx)) : app;
  };
  const timers: Record<string, (s: unknown, ctx: Ctx<Message, string>) => unknown> = {
    [RETRANSMIT](s, ctx) {
      const { link } = s as { link: LinkState };
      for (const [to, pending] of Object.entries(link.unacked)) {
        for (const [seq, body] of Object.entries(pending)) ctx.send(to, { type: 'link-data', seq: Number(seq), body });
      }
      if (Object.keys(link.unacked).length > 0) ctx.setTimer(RETRANSMIT, retransmitMs);
      return s;
    },
  };
  for (const [name, handler] of Object.entries(inner.timers ?? {})) {
    timers[name] = (s, ctx) => {
      let app!: Obj;
      const link = runApp((s as { link: LinkState }).link, ctx, (c) => { app = checkObject(roleName, (handler as (s: unknown, c: unknown) => unknown)(appOf(s), c)); }, retransmitMs);
      return { ...app, link };
    };
  }
  return {
    init(ctx) {
      let app!: Obj;
      const link = runApp(EMPTY, ctx, (c) => { app = checkObject(roleName, inner.init(c)); }, retransmitMs);
      return { ...app, link };
    },
    durable: inner.durable && inner.durable.length > 0 ? [...inner.durable, 'link'] : undefined,
    recover: inner.recover && ((s, ctx) => {
      let app!: Obj;
      const link = runApp((s as { link: LinkState }).link, ctx, (c) => { app = checkObject(roleName, inner.recover!(appOf(s), c)); }, retransmitMs);
      return { ...app, link };
    }),
    timers,
    on: {
      'link-ack'(s: unknown, m: Extract<LinkFrame, { type: 'link-ack' }>, ctx: MessageCtx<Message, string>) {
        const link = (s as { link: LinkState }).link;
        const pending = link.unacked[ctx.from];
        if (!pending) return s;
        const left = Object.fromEntries(Object.entries(pending).filter(([seq]) => Number(seq) > m.upTo));
        const unacked = Object.keys(left).length > 0 ? { ...link.unacked, [ctx.from]: left } : without(link.unacked, ctx.from);
        if (Object.keys(left).length === Object.keys(pending).length) return s;
        if (Object.keys(unacked).length === 0) ctx.cancelTimer(RETRANSMIT);
        return { ...(s as Obj), link: { ...link, unacked } };
      },
      'link-data'(s: unknown, m: Extract<LinkFrame, { type: 'link-data' }>, ctx: MessageCtx<Message, string>) {
        const from = ctx.from;
        let link = (s as { link: LinkState }).link;
        let app = appOf(s);
        const last = link.delivered[from] ?? 0;
        if (m.seq <= last || link.early[from]?.[m.seq] !== undefined) {
          ctx.send(from, { type: 'link-ack', upTo: last }); // a duplicate: the ack may have been lost
          return s;
        }
        if (m.seq > last + 1) {
          link = { ...link, early: { ...link.early, [from]: { ...link.early[from], [m.seq]: m.body } } };
          ctx.send(from, { type: 'link-ack', upTo: last });
          return { ...app, link };
        }
        // In order: deliver it and whatever arrived early behind it.
        let upTo = m.seq;
        let body: Message | undefined = m.body;
        const early = { ...link.early[from] };
        while (body) {
          const msg = body;
          link = runApp(link, ctx, (c) => { app = deliver(app, msg, c as MessageCtx<Message, string>); }, retransmitMs);
          body = early[upTo + 1];
          if (body) {
            delete early[upTo + 1];
            upTo++;
          }
        }
        link = {
          ...link,
          delivered: { ...link.delivered, [from]: upTo },
          early: Object.keys(early).length > 0 ? { ...link.early, [from]: early } : without(link.early, from),
        };
        ctx.send(from, { type: 'link-ack', upTo });
        return { ...app, link };
      },
    } as Role['on'],
  };
}

/** The world as the application sees it: its own states, and data frames as the messages they carry. */
function appWorld(w: World): World {
  const nodes: NodeView[] = w.nodes.map((n) => ({ ...n, state: n.state === undefined ? undefined : appOf(n.state), timers: n.timers.filter((t) => t !== RETRANSMIT) }));
  let messages: InFlight[] | undefined;
  return {
    params: w.params,
    nodes,
    get messages() {
      return (messages ??= w.messages.flatMap((m) => (m.msg.type === 'link-data' ? [{ from: m.from, to: m.to, msg: (m.msg as Extract<LinkFrame, { type: 'link-data' }>).body }] : [])));
    },
    outputs: w.outputs,
    node: (id) => nodes[w.nodes.findIndex((n) => n.id === id)] ?? w.node(id),
    statesOf: <S>(role: string) => nodes.filter((n) => n.role === role).map((n) => n.state as S),
  };
}

/** One view per World object: properties of one state share it (and whatever they cache on it). */
const views = new WeakMap<World, World>();
function view(w: World): World {
  let v = views.get(w);
  if (!v) views.set(w, (v = appWorld(w)));
  return v;
}

export interface ReliableLinkOptions {
  /** Retransmission delay in ms for the simulator and the runtime (the checker fires timers in any order); default 50. */
  readonly retransmitMs?: number;
}

/** `protocol` carried over ordered reliable links; named `<name>+reliable-links`. */
export function withReliableLinks(protocol: Protocol, options: ReliableLinkOptions = {}): Protocol {
  const retransmitMs = options.retransmitMs ?? 50;
  return defineProtocol({
    name: `${protocol.name}+reliable-links`,
    description: `${protocol.description}, over ordered reliable links (sequence numbers, acks, retransmission)`,
    params: protocol.paramSpecs,
    network: protocol.network,
    symmetric: protocol.symmetric,
    nodes: (params) => protocol.nodes(params).map((d) => ({ ...d, def: wrapRole(d.role, d.def, retransmitMs) })),
    properties: (params) => protocol.properties(params).map((p): Property => ({ ...p, holds: (w) => p.holds(view(w)) })),
  });
}
