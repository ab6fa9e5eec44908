// `xen-memsim web`'s server: the playground page on loopback, with the headers that make it
// cross-origin isolated (COOP same-origin + COEP require-corp: SharedArrayBuffer is available
// to it, as the real-thread transport needs). One page, no other route; never listens beyond
// 127.0.0.1.

import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

/** Headers of every answer: cross-origin isolation, no caching of a page that is rebuilt at start. */
export const ISOLATION_HEADERS: Readonly<Record<string, string>> = {
  'Cross-Origin-Opener-Policy': 'same-origin',
  'Cross-Origin-Embedder-Policy': 'require-corp',
  'Cross-Origin-Resource-Policy': 'same-origin',
  'Cache-Control': 'no-store',
  'X-Content-Type-Options': 'nosniff',
};

export interface WebServer {
  url: string;
  server: Server;
  close(): Promise<void>;
}

/** Serves `html` at / (and /index.html) on 127.0.0.1:`port` (0 = any free port). */
export async function serveWeb(html: string, port: number): Promise<WebServer> {
  const body = Buffer.from(html, 'utf8');
  const server = createServer((req, res) => {
    const path = (req.url ?? '/').split('?')[0];
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.writeHead(405, { ...ISOLATION_HEADERS, Allow: 'GET, HEAD', 'Content-Type': 'text/plain' }).end('method not allowed\n');
    } else if (path === '/' || path === '/index.html') {
      res.writeHead(200, { ...ISOLATION_HEADERS, 'Content-Type': 'text/html; charset=utf-8', 'Content-Length': body.length });
      res.end(req.method === 'HEAD' ? undefined : body);
    } else {
      res.writeHead(404, { ...ISOLATION_HEADERS, 'Content-Type': 'text/plain' }).end('not found: the playground is at /\n');
    }
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', () => resolve());
  });
  const { port: actual } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${actual}/`,
    server,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
