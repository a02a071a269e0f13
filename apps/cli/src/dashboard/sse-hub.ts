import type { IncomingMessage, ServerResponse } from 'node:http';

/**
 * What a topic's subscribers get: everything when a stream opens ('full'), after each poll only
 * what changed ('delta'); computed once per topic and sent to all of them.
 */
export type TopicPayload = (topic: string, mode: 'full' | 'delta') => Promise<unknown>;

/** Comments keep idle connections (and proxies in between) from timing out. */
const HEARTBEAT_MS = 15_000;

/**
 * Server-sent event streams, grouped by topic ('jobs', 'job:<id>', 'batch:<id>'). After a poll
 * each topic with subscribers is rendered once and written to every one of them: ten tabs on the
 * same page cost one rendering and no extra scheduler call.
 */
export class SseHub {
  private readonly clients = new Map<string, Set<ServerResponse>>();
  private readonly heartbeat: NodeJS.Timeout;

  constructor(private readonly payload: TopicPayload) {
    this.heartbeat = setInterval(() => this.comment('heartbeat'), HEARTBEAT_MS);
    this.heartbeat.unref();
  }

  get size(): number {
    let n = 0;
    for (const set of this.clients.values()) n += set.size;
    return n;
  }

  /** Opens a stream and sends the topic's current payload at once. */
  async add(request: IncomingMessage, response: ServerResponse, topic: string): Promise<void> {
    response.writeHead(200, {
      'Content-Type': 'text/event-stream; charset=utf-8',
      'Cache-Control': 'no-store',
      Connection: 'keep-alive',
    });
    const set = this.clients.get(topic) ?? new Set();
    this.clients.set(topic, set);
    set.add(response);
    request.on('close', () => {
      set.delete(response);
      if (set.size === 0 && this.clients.get(topic) === set) this.clients.delete(topic);
    });
    response.write(this.event(await this.payload(topic, 'full')));
  }

  /** After a poll: each topic once, to all its subscribers. */
  async publish(): Promise<void> {
    for (const [topic, set] of this.clients) {
      const event = this.event(await this.payload(topic, 'delta'));
      for (const response of set) response.write(event);
    }
  }

  close(): void {
    clearInterval(this.heartbeat);
    for (const set of this.clients.values()) for (const response of set) response.end();
    this.clients.clear();
  }

  /** Serialized once, however many streams it goes to. JSON has no raw newline: one data line. */
  private event(data: unknown): string {
    return `event: update\ndata: ${JSON.stringify(data)}\n\n`;
  }

  private comment(text: string): void {
    for (const set of this.clients.values()) for (const response of set) response.write(`: ${text}\n\n`);
  }
}
