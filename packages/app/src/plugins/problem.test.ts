import { connect, type Socket } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { organizer, startTestApp, type TestApp } from '../../../../testing/app';
import { expectProblem } from '../../../../testing/problems';

// Errors Fastify or Node would answer with their own bodies, seen from a real TCP client.
let t: TestApp;
let port: number;
beforeAll(async () => {
  t = await startTestApp();
  const url = await t.app.listen({ host: '127.0.0.1', port: 0 });
  port = Number(new URL(url).port);
});
afterAll(async () => {
  await t?.close();
});

interface RawAnswer {
  status: number;
  headers: Record<string, string>;
  body: string;
}

function parse(raw: string): RawAnswer {
  const [head = '', ...rest] = raw.split('\r\n\r\n');
  const [statusLine = '', ...lines] = head.split('\r\n');
  const headers = Object.fromEntries(lines.map((l) => [l.slice(0, l.indexOf(':')).toLowerCase(), l.slice(l.indexOf(':') + 1).trim()]));
  return { status: Number(statusLine.split(' ')[1]), headers, body: rest.join('\r\n\r\n') };
}

/** Writes raw bytes and reads until the server closes the connection. */
function rawRequest(bytes: string, onSocket?: (socket: Socket) => void): Promise<RawAnswer> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1');
    let data = '';
    socket.on('data', (chunk) => (data += chunk.toString('utf8')));
    socket.on('error', reject);
    socket.on('close', () => resolve(parse(data)));
    socket.on('connect', () => {
      socket.write(bytes);
      onSocket?.(socket);
    });
  });
}

function expectRawProblem(answer: RawAnswer, status: number, slug: string) {
  expect(answer.status, answer.body).toBe(status);
  expect(answer.headers['content-type']).toMatch(/^application\/problem\+json/);
  expect(Number(answer.headers['content-length'])).toBe(Buffer.byteLength(answer.body));
  const problem = JSON.parse(answer.body);
  expect(problem).toMatchObject({ type: `https://aquastream.org/problems/${slug}`, title: expect.any(String), status, detail: expect.any(String) });
  return problem;
}

describe('errors raised before a route runs are RFC 7807 problems', () => {
  it('431 for headers over the size limit', async () => {
    const answer = await rawRequest(`GET /api/v2/events HTTP/1.1\r\nHost: x\r\nX-Big: ${'a'.repeat(20_000)}\r\n\r\n`);
    expectRawProblem(answer, 431, 'request-header-fields-too-large');
  });

  it('431 for a request line over the size limit (Node counts the URL in the header size)', async () => {
    const answer = await rawRequest(`GET /api/v2/events?search=${'a'.repeat(20_000)} HTTP/1.1\r\nHost: x\r\n\r\n`);
    expectRawProblem(answer, 431, 'request-header-fields-too-large');
  });

  it('400 for bytes that are not HTTP and for a method HTTP does not know', async () => {
    expectRawProblem(await rawRequest('HELLO\r\n\r\n'), 400, 'bad-request');
    expectRawProblem(await rawRequest('FROB /api/v2/events HTTP/1.1\r\nHost: x\r\n\r\n'), 400, 'bad-request');
  });

  it('408 when Node gives up waiting for a request', async () => {
    // Node raises this clientError when headersTimeout/requestTimeout expire; raised here on the
    // server side of a real connection so the test does not wait a minute.
    const server = t.app.server;
    const serverSide = new Promise<Socket>((resolve) => server.once('connection', resolve));
    const answer = await rawRequest('GET /api/v2/events HTTP/1.1\r\n', async () => {
      const socket = await serverSide;
      server.emit('clientError', Object.assign(new Error('Request timeout'), { code: 'ERR_HTTP_REQUEST_TIMEOUT' }), socket);
    });
    expectRawProblem(answer, 408, 'request-timeout');
  });

  it('413 for a body over 64 KiB, also when it is streamed without a length', async () => {
    const who = await organizer();
    const body = JSON.stringify({ name: 'x'.repeat(70_000), address: 'y' });
    const chunked = await rawRequest(
      `POST /api/v2/locations HTTP/1.1\r\nHost: x\r\nAuthorization: ${who.auth.authorization}\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n${body.length.toString(16)}\r\n${body}\r\n0\r\n\r\n`,
    );
    expect(chunked.status).toBe(413);
    expect(chunked.headers['content-type']).toMatch(/^application\/problem\+json/);
    expect(JSON.parse(chunked.body)).toMatchObject({ type: 'https://aquastream.org/problems/payload-too-large', status: 413 });
  });

  it('404 for an unknown path, whatever the method', async () => {
    expectProblem(await t.app.inject({ method: 'GET', url: '/api/v2/nothing-here' }), 404, 'not-found');
    expectProblem(await t.app.inject({ method: 'DELETE', url: '/api/v2/nothing-here' }), 404, 'not-found');
  });

  it('405 with Allow for a known path and another method, for any route shape', async () => {
    const cases: [string, string, string][] = [
      ['DELETE', '/api/v2/events/00000000-0000-4000-8000-000000000000', 'GET, HEAD, PUT'],
      ['PATCH', '/api/v2/events', 'GET, HEAD, POST'],
      ['GET', '/api/v2/events/00000000-0000-4000-8000-000000000000/publish', 'POST'],
      ['PUT', '/api/v2/bookings?page=1', 'GET, HEAD, POST'],
      ['OPTIONS', '/api/v1/events', 'GET, HEAD, POST'],
      ['POST', '/actuator/health', 'GET, HEAD'],
    ];
    for (const [method, url, allow] of cases) {
      const res = await t.app.inject({ method: method as 'GET', url });
      const problem = expectProblem(res, 405, 'method-not-allowed');
      expect(res.headers.allow, `${method} ${url}`).toBe(allow);
      expect(problem.detail).toContain(allow);
    }
  });

  it('405 for a method HTTP knows but no route uses, over a real connection', async () => {
    const answer = await rawRequest('PROPFIND /api/v2/events HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n');
    expect(answer.status).toBe(405);
    expect(answer.headers.allow).toBe('GET, HEAD, POST');
    expect(answer.headers['content-type']).toMatch(/^application\/problem\+json/);
  });
});

describe('a request arriving while the server closes', () => {
  it('503 shutting-down problem with Retry-After and Connection: close', async () => {
    const closing = await startTestApp();
    const url = await closing.app.listen({ host: '127.0.0.1', port: 0 });
    const socket = connect(Number(new URL(url).port), '127.0.0.1');
    await new Promise((resolve) => socket.once('connect', resolve));
    let data = '';
    socket.on('data', (chunk) => (data += chunk.toString('utf8')));
    const ended = new Promise((resolve) => socket.once('close', resolve));
    // The request has begun (the connection is not idle) but its headers are not complete yet.
    socket.write('GET /api/v2/events HTTP/1.1\r\nHost: x\r\n');
    await new Promise((r) => setTimeout(r, 50));
    const closed = closing.close();
    await new Promise((r) => setTimeout(r, 50));
    socket.write('\r\n');
    await ended;
    await closed;
    const answer = parse(data);
    expectRawProblem(answer, 503, 'shutting-down');
    expect(answer.headers['retry-after']).toBe('1');
    expect(answer.headers.connection).toBe('close');
  });
});
