// The baseline: a bare Fastify route (same Fastify version as the service, no schema, no hooks,
// logger off) answering the JSON of a real event, parsed once and serialized per request like
// the service does. Run by bench/run.ts as its own process: node bench/baseline-server.mjs
import { readFileSync } from 'node:fs';
import Fastify from 'fastify';

const body = JSON.parse(readFileSync(process.env.BODY_FILE, 'utf8'));
const app = Fastify({ logger: false });
app.get('/event', async () => body);
await app.listen({ host: '127.0.0.1', port: Number(process.env.PORT) });
process.on('SIGTERM', () => app.close().then(() => process.exit(0)));
