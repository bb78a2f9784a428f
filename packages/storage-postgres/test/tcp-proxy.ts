/**
 * A TCP proxy between a test and the real PostgreSQL server, for the failures a network brings: the server going
 * away, a statement cut before it arrives, an answer lost after the statement ran.
 */
import net from 'node:net';

export async function freePort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as net.AddressInfo;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

const READY_FOR_QUERY = Buffer.from([0x5a, 0, 0, 0, 5]);

/**
 * A TCP proxy to the real server that can be taken down (connections cut, port refusing) and brought back, or told
 * to cut any connection whose client sends a given text (a statement the server then never sees).
 */
export class TcpProxy {
  #server: net.Server | null = null;
  readonly #sockets = new Set<net.Socket>();
  /** Connections whose client sends this are cut there. */
  cutOn: string | null = null;
  /** While true, what either side sends is swallowed: no answer, no notification, and no connection closes. */
  stall = false;
  /**
   * The next statement containing this reaches the server and runs to its end, then the connection is cut instead
   * of its answer passed on (the client cannot tell whether it ran). Counted in `answersLost`.
   */
  loseAnswerTo: string | null = null;
  answersLost = 0;
  constructor(
    readonly port: number,
    private readonly target: { host: string; port: number },
  ) {}
  async up(): Promise<void> {
    const server = net.createServer((socket) => {
      const upstream = net.connect(this.target.port, this.target.host);
      for (const s of [socket, upstream]) {
        this.#sockets.add(s);
        s.on('close', () => this.#sockets.delete(s));
        s.on('error', () => {});
      }
      let answer: Buffer | null = null; // the answer being swallowed, when loseAnswerTo matched
      socket.on('data', (chunk: Buffer) => {
        if (this.stall) return;
        if (this.cutOn !== null && chunk.includes(this.cutOn)) {
          socket.destroy();
          upstream.destroy();
          return;
        }
        if (this.loseAnswerTo !== null && chunk.includes(this.loseAnswerTo)) {
          this.loseAnswerTo = null;
          answer = Buffer.alloc(0);
        }
        upstream.write(chunk);
      });
      upstream.on('data', (chunk: Buffer) => {
        if (this.stall) return;
        if (answer === null) {
          socket.write(chunk);
          return;
        }
        // Swallowed up to ReadyForQuery ('Z', length 5): the server has finished the statement by then.
        answer = Buffer.concat([answer, chunk]);
        if (answer.includes(READY_FOR_QUERY)) {
          this.answersLost++;
          socket.destroy();
          upstream.destroy();
        }
      });
    });
    await new Promise<void>((resolve) => server.listen(this.port, '127.0.0.1', resolve));
    this.#server = server;
  }
  /** Cuts the connections under way; new ones are still taken. */
  cutAll(): void {
    for (const s of this.#sockets) s.destroy();
  }
  async down(): Promise<void> {
    const server = this.#server;
    this.#server = null;
    this.cutAll();
    if (server) await new Promise((resolve) => server.close(resolve));
  }
}
