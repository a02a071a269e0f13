import { randomBytes, timingSafeEqual } from 'node:crypto';
import type { IncomingMessage } from 'node:http';

/** 32 random bytes, base64url: the dashboard's one secret, printed in its URL. */
export function newDashboardToken(): string {
  return randomBytes(32).toString('base64url');
}

export interface AccessPolicy {
  token: string;
  /** Host header values accepted ('127.0.0.1:8765', 'localhost:8765'): DNS rebinding defence. */
  hosts: ReadonlySet<string>;
  /** The cookie that carries the token after the first visit (one per port: cookies ignore ports). */
  cookieName: string;
}

export type AccessDecision =
  | {
      allowed: true /** The token came in the query: set the cookie and drop it from the URL. */;
      fromQuery: boolean;
    }
  | { allowed: false; reason: string };

/** The Host names a server on `host`:`port` answers to. */
export function allowedHosts(host: string, port: number): Set<string> {
  const names = new Set(['127.0.0.1', 'localhost', host]);
  return new Set([...names].map((name) => `${name.includes(':') ? `[${name}]` : name}:${port}`));
}

function sameSecret(given: string | undefined, token: string): boolean {
  if (given === undefined) return false;
  const a = Buffer.from(given);
  const b = Buffer.from(token);
  return a.length === b.length && timingSafeEqual(a, b);
}

function cookieValue(header: string | undefined, name: string): string | undefined {
  for (const part of (header ?? '').split(';')) {
    const at = part.indexOf('=');
    if (at > 0 && part.slice(0, at).trim() === name) return part.slice(at + 1).trim();
  }
  return undefined;
}

/** Every request: the Host header first, then the token (query or cookie). */
export function checkAccess(request: IncomingMessage, url: URL, policy: AccessPolicy): AccessDecision {
  const host = (request.headers.host ?? '').toLowerCase();
  if (!policy.hosts.has(host)) return { allowed: false, reason: 'unexpected Host header' };
  if (sameSecret(url.searchParams.get('token') ?? undefined, policy.token))
    return { allowed: true, fromQuery: true };
  if (sameSecret(cookieValue(request.headers.cookie, policy.cookieName), policy.token))
    return { allowed: true, fromQuery: false };
  return { allowed: false, reason: 'missing or wrong token' };
}

/** HttpOnly, SameSite=Strict: scripts cannot read it and other sites' pages cannot send it. */
export function tokenCookie(policy: AccessPolicy): string {
  return `${policy.cookieName}=${policy.token}; Path=/; HttpOnly; SameSite=Strict`;
}
