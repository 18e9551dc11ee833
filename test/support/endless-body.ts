import net from 'node:net';

/**
 * Sends `requestHead` (a request line and headers announcing a chunked body), then `start` as a
 * first chunk, then 1 MiB chunks up to `offeredMiB` for as long as the server takes them: how a
 * sender that never stops meets a refusal. Resolves with the MiB the client could send before
 * the connection ended (or all of them), and what the server answered meanwhile.
 */
export async function sendEndlessBody(
  port: number,
  requestHead: string,
  start = '',
  offeredMiB = 200,
): Promise<{ writtenMiB: number; answer: string; reset: boolean }> {
  const socket = net.connect(port, '127.0.0.1');
  let answer = '';
  let reset = false;
  socket.on('data', (d: Buffer) => (answer += d.toString('latin1')));
  const chunk = Buffer.alloc(1024 * 1024, 0x20);
  const frame = Buffer.concat([
    Buffer.from(`${chunk.length.toString(16)}\r\n`),
    chunk,
    Buffer.from('\r\n'),
  ]);
  const writtenMiB = await new Promise<number>((resolve) => {
    let sent = 0;
    const ended = () => resolve(sent);
    socket.once('error', (error: NodeJS.ErrnoException) => {
      reset = error.code === 'ECONNRESET';
      ended();
    });
    socket.once('close', ended);
    const more = () => {
      while (sent < offeredMiB) {
        sent++;
        if (!socket.write(frame)) return void socket.once('drain', more);
      }
      resolve(sent);
    };
    socket.write(requestHead);
    if (start !== '') {
      const first = Buffer.from(start);
      socket.write(`${first.length.toString(16)}\r\n`);
      socket.write(first);
      socket.write('\r\n');
    }
    more();
  });
  socket.destroy();
  return { writtenMiB, answer, reset };
}
