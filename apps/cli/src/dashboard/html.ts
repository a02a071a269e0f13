/**
 * HTML built from data that is hostile by default (job names, messages, logs, paths): every value
 * put into the `html` template is escaped unless it is already SafeHtml made by this module, so a
 * `<script>` in a job name renders as text. Nothing else in the dashboard writes markup.
 */
export class SafeHtml {
  constructor(readonly text: string) {}
  toString(): string {
    return this.text;
  }
}

const ESCAPES: Record<string, string> = {
  '&': '&amp;',
  '<': '&lt;',
  '>': '&gt;',
  '"': '&quot;',
  "'": '&#39;',
};

/** Text for an element or a quoted attribute. */
export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => ESCAPES[c] as string);
}

type Value = SafeHtml | string | number | undefined | null | false | readonly Value[];

function render(value: Value): string {
  if (value === undefined || value === null || value === false) return '';
  if (value instanceof SafeHtml) return value.text;
  if (Array.isArray(value)) return value.map(render).join('');
  return escapeHtml(String(value));
}

/** html`<td>${name}</td>`: the values escaped, the literal parts kept. */
export function html(parts: TemplateStringsArray, ...values: Value[]): SafeHtml {
  let out = parts[0] as string;
  values.forEach((value, i) => {
    out += render(value) + (parts[i + 1] as string);
  });
  return new SafeHtml(out);
}
