// Dev-only stand-in for `monkeyhouse serve`: serves the built page and fabricated
// data over docs/web-protocol.md, bound to 127.0.0.1.
//   node dev/mock-server.mjs [--mode live|replay] [--fixture netflixoss|big|migration] [--port 8766] [--tick 250]
import { createServer } from 'node:http';
import { readFileSync, existsSync, statSync } from 'node:fs';
import { join, resolve, extname, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { WebSocketServer } from 'ws';
import { makeLiveSim, makeReplay } from './fixtures.mjs';

const args = Object.fromEntries(process.argv.slice(2).reduce((acc, a, i, all) => {
  if (a.startsWith('--')) acc.push([a.slice(2), all[i + 1]]);
  return acc;
}, []));
const mode = args.mode ?? 'live';
const fixture = args.fixture ?? 'netflixoss';
const port = Number(args.port ?? 8766);
const tickMs = Number(args.tick ?? 250);
const here = dirname(fileURLToPath(import.meta.url));
const staticDir = resolve(args.static ?? join(here, '../../src/monkeyhouse/web/static'));

const TYPES = { '.html': 'text/html; charset=utf-8', '.js': 'text/javascript', '.css': 'text/css', '.json': 'application/json' };
let sim = null, replay = null, traceData = [];
if (mode === 'live') { sim = makeLiveSim(fixture); traceData = sim.traces.data; }
else { const r = makeReplay(fixture); replay = r.doc; traceData = r.traces; }
const traceList = mode === 'live' ? sim.traces.summaries : replay.traces;

function send(res, code, body, type = 'application/json') {
  res.writeHead(code, { 'content-type': type, 'cache-control': 'no-store' });
  res.end(typeof body === 'string' || Buffer.isBuffer(body) ? body : JSON.stringify(body));
}

const server = createServer((req, res) => {
  const url = new URL(req.url, 'http://x');
  const p = url.pathname;
  if (p === '/api/session') return send(res, 200, { protocol: 1, mode, arch: sim ? sim.arch : replay.arch, source: `mock ${fixture}` });
  if (p === '/api/replay') return replay ? send(res, 200, replay) : send(res, 404, { error: 'live mode' });
  if (p === '/api/traces') return send(res, 200, traceList);
  if (p.startsWith('/api/traces/')) {
    const id = decodeURIComponent(p.slice('/api/traces/'.length));
    const t = traceData.find((x) => String(x.trace) === id);
    return t ? send(res, 200, t) : send(res, 404, { error: 'unknown trace' });
  }
  const file = p === '/' ? join(staticDir, 'index.html') : p.startsWith('/assets/') ? resolve(staticDir, '.' + p) : null;
  if (file && file.startsWith(staticDir) && existsSync(file) && statSync(file).isFile()) {
    return send(res, 200, readFileSync(file), TYPES[extname(file)] ?? 'application/octet-stream');
  }
  send(res, 404, 'not found', 'text/plain');
});

if (sim) {
  const wss = new WebSocketServer({ server, path: '/ws', maxPayload: 4096 });
  const clients = new Set();
  wss.on('connection', (ws) => {
    clients.add(ws);
    ws.send(JSON.stringify(sim.hello()));
    ws.on('message', (data) => {
      const reply = sim.handle(data.toString());
      ws.send(JSON.stringify(reply));
    });
    ws.on('close', () => clients.delete(ws));
  });
  let ended = false;
  setInterval(() => {
    const tick = JSON.stringify(sim.step(tickMs / 1000));
    for (const ws of clients) if (ws.readyState === 1) ws.send(tick);
    if (sim.ended && !ended) {
      ended = true;
      for (const ws of clients) ws.send(JSON.stringify({ type: 'end', status: 'complete', t: sim.t }));
    }
  }, tickMs);
}

server.listen(port, '127.0.0.1', () => console.log(`mock ${mode} ${fixture} on http://127.0.0.1:${port}/ (static ${staticDir})`));
