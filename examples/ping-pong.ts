// A client pings a server up to twice; the server answers each ping with a pong.
//   protoforge check examples/ping-pong.ts --lossy
import { always, defineProtocol, eventually, node, role } from 'protoforge';

type Msg = { type: 'ping'; seq: number } | { type: 'pong'; seq: number };

const client = role<{ sent: number; answered: number[] }, Msg, 'send'>({
  init(ctx) {
    ctx.setTimer('send'); // a spontaneous step: the checker fires timers in every order
    return { sent: 0, answered: [] };
  },
  timers: {
    send(s, ctx) {
      ctx.send('server', { type: 'ping', seq: s.sent + 1 });
      if (s.sent + 1 < 2) ctx.setTimer('send');
      return { ...s, sent: s.sent + 1 };
    },
  },
  on: {
    // `m` is { type: 'pong'; seq: number } here: reading a field it does not have fails to compile.
    pong(s, m, ctx) {
      ctx.output({ answered: m.seq });
      return { ...s, answered: [...s.answered, m.seq].sort() };
    },
  },
});

const server = role<{ served: number }, Msg>({
  init: () => ({ served: 0 }),
  on: {
    ping(s, m, ctx) {
      ctx.send(ctx.from, { type: 'pong', seq: m.seq });
      return { served: s.served + 1 };
    },
  },
});

export default defineProtocol({
  name: 'ping-pong',
  description: 'a client pings a server twice',
  nodes: () => [node('client', 'client', client), node('server', 'server', server)],
  properties: () => [
    always('only pings sent are answered', (w) => w.node('client').state.answered.every((n: number) => n <= w.node('client').state.sent)),
    eventually('both answered', (w) => w.node('client').state.answered.length === 2),
  ],
});
