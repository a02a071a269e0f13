import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Driver } from '@hpc/core';
import { type AccessPolicy, allowedHosts, checkAccess, newDashboardToken, tokenCookie } from './access.ts';
import { PollHub } from './poll-hub.ts';
import { type RouteContext, route, topicPayload } from './routes.ts';
import { SseHub } from './sse-hub.ts';

export interface DashboardOptions {
  driver: Driver;
  /** 127.0.0.1 unless given (the command warns about any other). */
  host?: string;
  /** 0: a free port. */
  port?: number;
  /** Between scheduler polls (default 2000). */
  intervalMs?: number;
  token?: string;
}

export interface Dashboard {
  /** http://127.0.0.1:PORT/?token=... */
  url: string;
  port: number;
  hub: PollHub;
  sse: SseHub;
  close(): Promise<void>;
}

/** No script or style from anywhere but this server; no inline script; nothing may frame the page. */
const SECURITY_HEADERS = {
  'Content-Security-Policy':
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'",
  'X-Content-Type-Options': 'nosniff',
  'X-Frame-Options': 'DENY',
  'Referrer-Policy': 'no-referrer',
  'Cache-Control': 'no-store',
};

function refuse(response: ServerResponse, status: number, text: string): void {
  response.writeHead(status, { 'Content-Type': 'text/plain; charset=utf-8' });
  response.end(`${text}\n`);
}

/**
 * The dashboard's HTTP server (node:http: a handful of GET routes need no framework). Every
 * request is checked before anything else: its Host header must name this server (a page on
 * another site that rebinds its DNS name to 127.0.0.1 sends its own name), and it must carry the
 * token, in the query the first time (then it moves to an HttpOnly, SameSite=Strict cookie and
 * out of the URL) or the cookie. Anything else gets 403 and no data.
 */
export async function startDashboard(options: DashboardOptions): Promise<Dashboard> {
  const host = options.host ?? '127.0.0.1';
  const token = options.token ?? newDashboardToken();
  const hub = new PollHub(options.driver, { intervalMs: options.intervalMs ?? 2000 });
  const context: RouteContext = { driver: options.driver, hub, now: Date.now } as RouteContext;
  const sse = new SseHub((topic, mode) => topicPayload(context, topic, mode));
  context.sse = sse;
  let policy: AccessPolicy | undefined;
  const server = createServer((request, response) => {
    void handle(request, response).catch((error: Error) => {
      if (!response.headersSent) refuse(response, 500, `dashboard error: ${error.message}`);
      else response.end();
    });
  });
  const handle = async (request: IncomingMessage, response: ServerResponse) => {
    for (const [name, value] of Object.entries(SECURITY_HEADERS)) response.setHeader(name, value);
    const url = new URL(request.url ?? '/', 'http://dashboard.invalid');
    if (!policy) return refuse(response, 503, 'starting');
    const access = checkAccess(request, url, policy);
    if (!access.allowed) return refuse(response, 403, `forbidden: ${access.reason}`);
    if (request.method !== 'GET' && request.method !== 'HEAD') return refuse(response, 405, 'GET only');
    if (access.fromQuery) {
      response.setHeader('Set-Cookie', tokenCookie(policy));
      if (url.pathname !== '/events') {
        // The token leaves the address bar (and the history) once it is in the cookie.
        url.searchParams.delete('token');
        response.writeHead(303, { Location: `${url.pathname}${url.search}` });
        return response.end();
      }
    }
    if (!(await route(context, request, response, url))) refuse(response, 404, 'not found');
  };
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, host, () => resolve());
  });
  const port = (server.address() as AddressInfo).port;
  policy = { token, hosts: allowedHosts(host, port), cookieName: `hpc_dashboard_${port}` };
  hub.onPoll(() => void sse.publish());
  await hub.start();
  const shownHost = host.includes(':') ? `[${host}]` : host;
  return {
    url: `http://${shownHost}:${port}/?token=${token}`,
    port,
    hub,
    sse,
    close: async () => {
      hub.stop();
      sse.close();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
