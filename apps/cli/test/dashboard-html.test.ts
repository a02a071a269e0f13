import type { IncomingMessage } from 'node:http';
import { describe, expect, it } from 'vitest';
import { allowedHosts, checkAccess, newDashboardToken } from '../src/dashboard/access.ts';
import { ganttSvg } from '../src/dashboard/gantt-svg.ts';
import { html } from '../src/dashboard/html.ts';
import { dashboardRow } from '../src/dashboard/job-rows.ts';
import { jobTableHtml, tableRow } from '../src/dashboard/job-table.ts';

const HOSTILE = '<script>alert(1)</script>"\'&';

describe('dashboard markup', () => {
  it('escapes every value put into the html template, keeps the literal parts', () => {
    expect(html`<td title="${HOSTILE}">${HOSTILE}</td>`.text).toBe(
      '<td title="&lt;script&gt;alert(1)&lt;/script&gt;&quot;&#39;&amp;">&lt;script&gt;alert(1)&lt;/script&gt;&quot;&#39;&amp;</td>',
    );
    expect(html`<p>${html`<b>${'<i>'}</b>`}</p>`.text).toBe('<p><b>&lt;i&gt;</b></p>');
  });

  it('a hostile job name and id are text in the table and in the Gantt', () => {
    const row = dashboardRow(
      { id: `7_${HOSTILE}`, driver: 'slurm', name: HOSTILE, state: { status: 'failed', cause: 'exit-code' } },
      undefined,
      Date.now(),
    );
    const table = jobTableHtml([tableRow(row)], true).text;
    expect(table).not.toContain('<script>');
    expect(table).toContain('&lt;script&gt;alert(1)&lt;/script&gt;');
    expect(table).toContain('href="/job/7_%3Cscript%3E');
    const svg = ganttSvg(
      [{ id: HOSTILE, status: 'completed', startedAt: '2026-12-03T08:00:00Z' }],
      Date.now(),
    ).text;
    expect(svg).not.toContain('<script>');
    expect(svg.match(/<g class="task"/g)).toHaveLength(1);
  });
});

describe('dashboard access', () => {
  const token = newDashboardToken();
  const policy = { token, hosts: allowedHosts('127.0.0.1', 4000), cookieName: 'hpc_dashboard_4000' };
  const request = (headers: Record<string, string>) => ({ headers }) as unknown as IncomingMessage;
  const url = (query = '') => new URL(`http://127.0.0.1:4000/${query}`);

  it('needs the token in the query or the cookie, and a Host naming this server', () => {
    expect(token).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(checkAccess(request({ host: '127.0.0.1:4000' }), url(`?token=${token}`), policy)).toEqual({
      allowed: true,
      fromQuery: true,
    });
    expect(
      checkAccess(
        request({ host: 'localhost:4000', cookie: `a=b; hpc_dashboard_4000=${token}` }),
        url(),
        policy,
      ),
    ).toEqual({ allowed: true, fromQuery: false });
    expect(checkAccess(request({ host: '127.0.0.1:4000' }), url('?token=x'), policy).allowed).toBe(false);
    expect(checkAccess(request({ host: '127.0.0.1:4000' }), url(), policy).allowed).toBe(false);
    expect(checkAccess(request({ host: 'evil.example:4000' }), url(`?token=${token}`), policy)).toEqual({
      allowed: false,
      reason: 'unexpected Host header',
    });
    expect(checkAccess(request({ host: '127.0.0.1:4001' }), url(`?token=${token}`), policy).allowed).toBe(
      false,
    );
  });
});
