/**
 * src/one-click/direct-post.ts: which requests skip Express's dispatch, what the handler is
 * given when they do (what the /u router would have given it), and where its errors go.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import express, { type NextFunction, type Request, type Response } from 'express';
import { expect } from 'chai';
import { directOneClickPosts } from '../../src/one-click/direct-post.js';

interface Seen {
  via: 'direct' | 'router';
  token: unknown;
  url: string;
  baseUrl: string;
  originalUrl: string;
  circular: boolean;
  expressRequest: boolean;
  query: unknown;
}

describe('one-click POST past Express’s dispatch (direct-post.ts)', function () {
  let server: http.Server;
  let base: string;
  const seen: Seen[] = [];
  const errors: string[] = [];
  let failWith: 'none' | 'before-answer' | 'after-answer' = 'none';

  const record = (via: Seen['via'], req: Request, res: Response) => {
    seen.push({
      via,
      token: req.params.token,
      url: req.url,
      baseUrl: req.baseUrl,
      originalUrl: req.originalUrl,
      circular: res.req === req && req.res === res,
      expressRequest: typeof req.get === 'function' && typeof res.status === 'function',
      query: { ...(req.query as object) },
    });
  };

  before(async () => {
    const app = express();
    app.disable('x-powered-by');
    const router = express.Router();
    const post = async (req: Request, res: Response) => {
      record('direct', req, res);
      if (failWith === 'after-answer') res.status(200).end('answered');
      if (failWith !== 'none') throw new Error(failWith);
      res
        .status(200)
        .type('text/plain')
        .send(`token ${String(req.params.token)}`);
    };
    router.post('/:token', (req, res) => {
      record('router', req, res);
      res
        .status(200)
        .type('text/plain')
        .send(`token ${String(req.params.token)}`);
    });
    const onError = (error: unknown, _req: Request, res: Response, next: NextFunction) => {
      errors.push(`router ${(error as Error).message}`);
      if (res.headersSent) return next(error);
      res.status(400).end('router refused');
    };
    router.use(onError);
    app.use('/u', router);
    const appError = (error: unknown, req: Request, res: Response, _next: NextFunction) => {
      errors.push(`app ${(error as Error).message}`);
      if (res.headersSent) req.socket.destroy();
    };
    directOneClickPosts(app, { post, onError }, appError);
    app.use(appError);
    server = http.createServer(app);
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  after(() => new Promise<void>((resolve) => server.close(() => resolve())));
  beforeEach(() => {
    seen.length = 0;
    errors.length = 0;
    failWith = 'none';
  });

  const send = async (path: string, method = 'POST') => {
    const res = await fetch(`${base}${path}`, { method, body: method === 'POST' ? 'x' : null });
    return { status: res.status, body: await res.text() };
  };

  it('a plain /u/<token> POST reaches the handler directly, prepared as the router would', async () => {
    const token = '1.k1.AbC-_9.z';
    expect(await send(`/u/${token}`)).to.deep.equal({ status: 200, body: `token ${token}` });
    expect(seen).to.deep.equal([
      {
        via: 'direct',
        token,
        url: `/${token}`,
        baseUrl: '/u',
        originalUrl: `/u/${token}`,
        circular: true,
        expressRequest: true,
        query: {},
      },
    ]);
  });

  it('the router gives the same token, URLs and objects for the same POST (a trailing slash)', async () => {
    await send('/u/1.k1.AbC-_9.z/');
    expect(seen).to.have.length(1);
    expect(seen[0]).to.include({
      via: 'router',
      token: '1.k1.AbC-_9.z',
      baseUrl: '/u',
      circular: true,
      expressRequest: true,
    });
  });

  it('anything else takes Express’s dispatch: a query, an escape, another case, a slash, a GET', async () => {
    for (const path of ['/u/abc?lang=fr', '/u/a%41c', '/U/abc', '/u/abc/', '/u/a/b', '/u/'])
      await send(path);
    await send('/u/abc', 'GET');
    expect(seen.map((s) => s.via)).to.deep.equal(['router', 'router', 'router', 'router']);
    expect(seen.map((s) => s.token)).to.deep.equal(['abc', 'aAc', 'abc', 'abc']);
  });

  it('an error the handler lets through goes to the router’s error handler, then the app’s', async () => {
    failWith = 'before-answer';
    expect(await send('/u/abc')).to.deep.equal({ status: 400, body: 'router refused' });
    expect(errors).to.deep.equal(['router before-answer']);
    errors.length = 0;
    failWith = 'after-answer';
    // The app's handler destroys the socket after the answer: what the client reads varies.
    await send('/u/abc').catch(() => undefined);
    expect(errors).to.deep.equal(['router after-answer', 'app after-answer']);
  });
});
