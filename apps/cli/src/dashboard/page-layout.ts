import { html, SafeHtml } from './html.ts';

export interface PageOptions {
  title: string;
  /** The event stream topic the page follows ('jobs', 'job:<id>', 'batch:<id>'); none: static. */
  topic?: string;
  /** The static report: the stylesheet inline, no script at all. */
  inlineCss?: string;
}

/**
 * The frame of every page. The dashboard's pages load one stylesheet and one script from the
 * server itself (the Content-Security-Policy allows nothing else); the report inlines its CSS.
 */
export function pageHtml(options: PageOptions, body: SafeHtml): string {
  const head = options.inlineCss
    ? // Our own stylesheet (a file of this package, not data): only a '</' could end the element.
      html`<style>${new SafeHtml(options.inlineCss.replace(/<\//g, '<\\/'))}</style>`
    : html`<link rel="stylesheet" href="/assets/style.css"><script src="/assets/app.js" defer></script>`;
  const nav = options.inlineCss
    ? undefined
    : html`<nav><a href="/">jobs</a> <a href="/stats">stats</a> <span id="poll" class="muted"></span></nav>`;
  return html`<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="referrer" content="no-referrer">
<title>${options.title}</title>${head}</head>
<body data-topic="${options.topic ?? ''}"><header><h1>${options.title}</h1>${nav}</header>
<main id="main">${body}</main></body></html>
`.text;
}
