import net from 'node:net';

/** One answer read off a raw connection. */
export interface RawAnswer {
  /** The final status (after any 100 Continue). */
  status: number;
  /** Whether 100 Continue came before it. */
  continued: boolean;
  headers: Headers;
  body: string;
}

/**
 * A kept-alive connection driven by hand, as a pooled SOAP client uses one: requests one after
 * another, each answer read whole by its Content-Length (every answer of the service has one)
 * before the next request is written.
 */
export class HttpConnection {
  private received = Buffer.alloc(0);
  private wake: (() => void) | null = null;
  /** Set once the server has closed the connection. */
  closed = false;

  private constructor(private readonly socket: net.Socket) {
    socket.on('data', (chunk: Buffer) => {
      this.received = Buffer.concat([this.received, chunk]);
      this.wake?.();
    });
    socket.on('close', () => {
      this.closed = true;
      this.wake?.();
    });
    socket.on('error', () => undefined);
  }

  static async open(port: number): Promise<HttpConnection> {
    const socket = net.connect(port, '127.0.0.1');
    await new Promise((resolve, reject) => socket.once('connect', resolve).once('error', reject));
    return new HttpConnection(socket);
  }

  /** Resolves once `ready` says so of what was received, or the connection closed. */
  private async until(ready: () => boolean, waitMs: number): Promise<void> {
    const deadline = Date.now() + waitMs;
    while (!ready() && !this.closed) {
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`no answer within ${waitMs} ms: ${this.text().slice(0, 300)}`);
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, left);
        this.wake = () => {
          clearTimeout(timer);
          resolve();
        };
      });
      this.wake = null;
    }
  }

  private text(): string {
    return this.received.toString('latin1');
  }

  /**
   * Writes `head` (the request line and headers, ending in the blank line), then the body
   * parts: at once, or, when `awaitContinue`, only once 100 Continue arrived, as .NET's
   * HttpWebRequest sends a POST. Reads the final answer whole.
   */
  async request(
    head: string,
    body: Array<string | Buffer> = [],
    { awaitContinue = false, waitMs = 10000 } = {},
  ): Promise<RawAnswer> {
    this.received = Buffer.alloc(0);
    this.socket.write(head);
    let continued = false;
    if (awaitContinue) {
      await this.until(() => this.text().includes('\r\n\r\n'), waitMs);
      continued = this.text().startsWith('HTTP/1.1 100 ');
      if (continued) this.received = this.received.subarray(this.text().indexOf('\r\n\r\n') + 4);
    }
    if (!awaitContinue || continued) for (const part of body) this.socket.write(part);
    await this.until(() => {
      const text = this.text();
      const end = text.indexOf('\r\n\r\n');
      if (end === -1) return false;
      const length = /^Content-Length: *(\d+)$/im.exec(text.slice(0, end))?.[1];
      return length !== undefined && this.received.length >= end + 4 + Number(length);
    }, waitMs);
    const text = this.text();
    const end = text.indexOf('\r\n\r\n');
    if (end === -1) throw new Error(`connection closed without an answer: ${text}`);
    const lines = text.slice(0, end).split('\r\n');
    const headers = new Headers();
    for (const line of lines.slice(1)) {
      const colon = line.indexOf(':');
      headers.append(line.slice(0, colon).trim(), line.slice(colon + 1).trim());
    }
    return {
      status: Number(/^HTTP\/1\.[01] (\d{3})/.exec(lines[0]!)?.[1] ?? 0),
      continued,
      headers,
      body: this.received.subarray(end + 4).toString('utf8'),
    };
  }

  /** Whether the server closes the connection within `waitMs`. */
  async closedWithin(waitMs: number): Promise<boolean> {
    await this.until(() => false, waitMs).catch(() => undefined);
    return this.closed;
  }

  destroy(): void {
    this.socket.destroy();
  }
}
