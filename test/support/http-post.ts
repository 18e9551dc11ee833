import http from 'node:http';

export interface PostAnswer {
  status: number;
  body: string;
}

/**
 * POSTs a text/xml body through node's own client: one Buffer is sent at once with its
 * Content-Length; a list is sent as chunks, without one (the size is known only by reading),
 * and the server may answer and close before all of it is sent.
 */
export function postBody(
  url: string,
  body: Buffer | Buffer[],
  headers: Record<string, string> = {},
): Promise<PostAnswer> {
  const whole = Buffer.isBuffer(body);
  return new Promise<PostAnswer>((resolve, reject) => {
    const req = http.request(url, {
      method: 'POST',
      headers: {
        'Content-Type': 'text/xml; charset=utf-8',
        ...(whole ? { 'Content-Length': body.length } : {}),
        ...headers,
      },
    });
    req.on('response', (res) => {
      let text = '';
      res.on('data', (d: Buffer) => (text += d.toString()));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: text }));
    });
    req.on('error', (error: NodeJS.ErrnoException) => {
      if (whole || (error.code !== 'EPIPE' && error.code !== 'ECONNRESET')) reject(error);
    });
    if (whole) return req.end(body);
    for (const part of body) req.write(part);
    req.end();
  });
}
