import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Explorer } from '../check/explore.ts';
import type { Instance } from '../core/instance.ts';
import { describeNetwork } from '../core/network.ts';
import { explorerPage } from './explorer-page.ts';

export interface ExplorerServer {
  readonly url: string;
  close(): Promise<void>;
}

/**
 * Serves the explorer on 127.0.0.1 (never another interface): the page, and `/api/view?path=...`
 * answering with the state the path leads to, the actions enabled there and the properties' values.
 */
export async function serveExplorer(inst: Instance, port = 0): Promise<ExplorerServer> {
  const explorer = new Explorer(inst);
  const params = Object.entries(inst.params).map(([k, v]) => `${k}=${v}`).join(' ');
  const page = explorerPage(inst.protocol.name);
  const server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://127.0.0.1');
    const send = (status: number, type: string, body: string) => {
      res.writeHead(status, { 'content-type': type, 'cache-control': 'no-store' });
      res.end(body);
    };
    if (req.method !== 'GET') return send(405, 'text/plain', 'only GET\n');
    if (url.pathname === '/') return send(200, 'text/html; charset=utf-8', page);
    if (url.pathname !== '/api/view') return send(404, 'text/plain', 'not found\n');
    const raw = url.searchParams.get('path') ?? '';
    if (!/^(\d+(\/\d+)*)?$/.test(raw)) {
      return send(400, 'application/json', JSON.stringify({ error: `the path ${JSON.stringify(raw)} is not action ranks separated by "/", like 0/2/1` }));
    }
    try {
      const view = explorer.view(raw === '' ? [] : raw.split('/').map(Number));
      send(200, 'application/json', JSON.stringify({ protocol: inst.protocol.name, params: `${params}  network: ${describeNetwork(inst.network)}`, view }));
    } catch (err) {
      send(400, 'application/json', JSON.stringify({ error: (err as Error).message }));
    }
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', () => resolve());
  });
  const { port: bound } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${bound}/`,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}
