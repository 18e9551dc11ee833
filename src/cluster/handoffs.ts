import type { ChildProcess } from 'node:child_process';

/**
 * node's cluster (round-robin, its default but on Windows) accepts each connection in the
 * primary and hands it to a worker over the IPC channel, keeping its own copy until the worker
 * answers that it took it (the copy is then closed) or could not (it goes to another worker). A
 * worker that dies in between (kill -9, out of memory, a crash) never answers, and node drops the
 * copy without closing it: the client waits on a connection no process reads, for as long as it
 * is willing to (a client without a timeout: for ever). This follows what each worker is handed
 * and closes, once the worker exited, what it never answered for: those clients see their
 * connection end at once, as those of the calls the worker was running do.
 *
 * It relies on the messages node's cluster exchanges (cmd NODE_CLUSTER: a `newconn` carrying
 * the connection, answered by an `ack` of its `seq`), stable since round-robin came (node 0.12);
 * the ops test of a killed worker shows when they change.
 */
interface ClusterMessage {
  cmd?: unknown;
  act?: unknown;
  seq?: unknown;
  ack?: unknown;
}

interface Closable {
  close(): void;
}

function isClusterMessage(message: unknown): message is ClusterMessage {
  return (message as ClusterMessage | null)?.cmd === 'NODE_CLUSTER';
}

function isClosable(handle: unknown): handle is Closable {
  return typeof (handle as Partial<Closable> | null)?.close === 'function';
}

export class Handoffs {
  // By the sequence number of the message that carried it.
  private readonly unanswered = new Map<number, Closable>();

  constructor(child: ChildProcess) {
    const send = child.send;
    const unanswered = this.unanswered;
    child.send = function (this: ChildProcess, message: unknown, ...rest: unknown[]): boolean {
      const handle = rest[0];
      if (isClusterMessage(message) && message.act === 'newconn' && typeof message.seq === 'number')
        if (isClosable(handle)) unanswered.set(message.seq, handle);
      return Reflect.apply(send, this, [message, ...rest]) as boolean;
    } as ChildProcess['send'];
    child.on('internalMessage', (message: unknown) => {
      if (isClusterMessage(message) && typeof message.ack === 'number')
        unanswered.delete(message.ack);
    });
  }

  /** Once the worker exited: closes what it was handed and never answered for; how many. */
  closeUnanswered(): number {
    const closed = this.unanswered.size;
    for (const handle of this.unanswered.values()) handle.close();
    this.unanswered.clear();
    return closed;
  }
}
