// Dev-only fabricated data that follows docs/web-protocol.md (protocol 1).
// `node dev/fixtures.mjs` writes dev/out/{netflixoss,big,migration}.replay.json.
// The mock server (dev/mock-server.mjs) imports makeLiveSim / makeReplay from here.
import { mkdirSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { dirname, join } from 'node:path';

// Small deterministic PRNG so fixtures are stable between runs.
export function rng(seed) {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const ZONES = ['zoneA', 'zoneB', 'zoneC'];

function tiersFrom(services, edges) {
  const adj = services.map(() => []);
  for (const e of edges) adj[e.source].push(e.target);
  const tier = services.map(() => -1);
  tier[0] = 0;
  const q = [0];
  while (q.length) {
    const s = q.shift();
    for (const t of adj[s]) if (tier[t] < 0) { tier[t] = tier[s] + 1; q.push(t); }
  }
  const max = Math.max(...tier);
  services.forEach((s, i) => { s.tier = tier[i] < 0 ? max + 1 : tier[i]; });
}

function build(arch, specs, deps, regions) {
  // specs: [name, package, count]; deps: [from, to] names; entry first.
  const services = specs.map(([name, pkg], id) => ({ id, name, package: pkg, tier: 0 }));
  const byName = new Map(services.map((s) => [s.name, s.id]));
  const edges = deps.map(([a, b], id) => ({ id, source: byName.get(a), target: byName.get(b) }));
  tiersFrom(services, edges);
  const zones = regions.flatMap((r) => ZONES.map((z) => `${r}/${z}`));
  const instances = [];
  specs.forEach(([name, , count], sid) => {
    for (let i = 0; i < count; i++) {
      const zone = zones[i % zones.length];
      const [region, z] = zone.split('/');
      instances.push({
        id: instances.length, name: `${arch}.${region}.${z}.${name}${String(i).padStart(2, '0')}`,
        service: sid, region, zone, born: 0, died: null,
      });
    }
  });
  return { services, edges, regions: [...regions], zones, instances };
}

export function netflixoss() {
  const specs = [
    ['www', 'denominator', 1], ['www-elb', 'elb', 1], ['wwwproxy', 'zuul', 6],
    ['homepage', 'karyon', 15], ['login', 'karyon', 9], ['signup', 'karyon', 6],
    ['recommend', 'karyon', 6], ['subscriber', 'staash', 6], ['personalization', 'staash', 3],
    ['evcacheSubscriber', 'store', 3], ['cassSubscriber', 'priamCassandra', 6],
    ['cassPersonal', 'priamCassandra', 3],
  ];
  const deps = [
    ['www', 'www-elb'], ['www-elb', 'wwwproxy'], ['wwwproxy', 'homepage'], ['wwwproxy', 'login'],
    ['wwwproxy', 'signup'], ['homepage', 'recommend'], ['homepage', 'subscriber'],
    ['login', 'subscriber'], ['signup', 'subscriber'], ['recommend', 'personalization'],
    ['subscriber', 'evcacheSubscriber'], ['subscriber', 'cassSubscriber'],
    ['personalization', 'cassPersonal'], ['cassSubscriber', 'cassSubscriber'],
  ];
  return build('netflixoss', specs, deps, ['us-east-1']);
}

export function big(nServices = 500, nInstances = 10000, seed = 7) {
  const r = rng(seed);
  const tiers = 8;
  const perTier = [1, 4, 20, 60, 110, 130, 110, 65];
  const words = ['cart', 'user', 'pay', 'search', 'rank', 'feed', 'geo', 'auth', 'media', 'meta',
    'bill', 'ship', 'promo', 'price', 'stock', 'review', 'chat', 'notify', 'ads', 'play'];
  const specs = [];
  const tierOf = [];
  for (let t = 0; t < tiers; t++) {
    for (let i = 0; i < perTier[t] && specs.length < nServices; i++) {
      const pkg = t === 0 ? 'denominator' : t === 1 ? 'elb' : t === 2 ? 'zuul' : t >= 6 ? (r() < 0.5 ? 'priamCassandra' : 'store') : t === 5 ? 'staash' : 'karyon';
      const name = t === 0 ? 'www' : `${words[Math.floor(r() * words.length)]}-${words[Math.floor(r() * words.length)]}-${specs.length}`;
      specs.push([name, pkg, 1]);
      tierOf.push(t);
    }
  }
  const byTier = [];
  tierOf.forEach((t, i) => (byTier[t] ??= []).push(i));
  const deps = [];
  const called = new Set();
  for (let i = 0; i < specs.length; i++) {
    const t = tierOf[i];
    if (t + 1 >= tiers) continue;
    const next = byTier[t + 1];
    const k = t < 2 ? next.length : 1 + Math.floor(r() * 3);
    const picks = new Set();
    for (let j = 0; j < k; j++) picks.add(t < 2 ? next[j] : next[Math.floor(r() * next.length)]);
    if (t + 2 < tiers && r() < 0.2) picks.add(byTier[t + 2][Math.floor(r() * byTier[t + 2].length)]);
    for (const p of picks) { deps.push([specs[i][0], specs[p][0]]); called.add(p); }
  }
  // every service reachable: give orphans a caller in the tier above
  for (let i = 1; i < specs.length; i++) {
    if (!called.has(i)) {
      const up = byTier[tierOf[i] - 1];
      deps.push([specs[up[Math.floor(r() * up.length)]][0], specs[i][0]]);
    }
  }
  // instance counts: weighted, total nInstances
  const w = specs.map((_, i) => (i < 2 ? 0.05 : 0.3 + r() * 2));
  const sum = w.reduce((a, b) => a + b, 0);
  let left = nInstances;
  specs.forEach((s, i) => { s[2] = Math.max(1, Math.floor((w[i] / sum) * nInstances)); left -= s[2]; });
  for (let i = 2; left > 0; i = 2 + ((i - 1) % (specs.length - 2))) { specs[i][2]++; left--; }
  return build('big', specs, deps, ['us-east-1']);
}

// spigo's migration steps, simplified: each step a topology; names persist across steps.
export function migrationSteps() {
  const steps = [];
  const S = (n, p, c) => [n, p, c];
  const defs = [
    [[S('www', 'denominator', 1), S('www-elb', 'elb', 1), S('php', 'monolith', 9), S('rds-mysql', 'store', 2)],
      [['www', 'www-elb'], ['www-elb', 'php'], ['php', 'rds-mysql'], ['rds-mysql', 'rds-mysql']]],
  ];
  const add = (prev, svcs, deps, drop = []) => {
    const s = prev[0].filter((x) => !drop.includes(x[0])).concat(svcs);
    const d = prev[1].filter((x) => !drop.includes(x[0]) && !drop.includes(x[1])).concat(deps);
    return [s, d];
  };
  defs.push(add(defs[0], [S('memcache', 'store', 1)], [['php', 'memcache']]));
  {
    const [s, d] = add(defs[1], [S('wwwproxy', 'zuul', 9)], [['www-elb', 'wwwproxy'], ['wwwproxy', 'php']]);
    defs.push([s, d.filter((x) => !(x[0] === 'www-elb' && x[1] === 'php'))]);
  }
  {
    let [s, d] = add(defs[2], [S('evcache', 'store', 3), S('turtle', 'staash', 6)],
      [['turtle', 'rds-mysql'], ['turtle', 'evcache'], ['php', 'turtle']], ['memcache']);
    d = d.filter((x) => !(x[0] === 'php' && x[1] === 'rds-mysql'));
    defs.push([s, d]);
  }
  defs.push(add(defs[3], [S('node', 'karyon', 9)], [['wwwproxy', 'node'], ['node', 'turtle']]));
  defs.push(add(defs[4], [S('cassTurtle', 'priamCassandra', 12)], [['turtle', 'cassTurtle'], ['cassTurtle', 'cassTurtle']]));
  defs.push(add(defs[5], [], [], ['rds-mysql']));
  defs.push(defs[6], defs[6], defs[6]);
  defs.forEach(([specs, deps], k) => {
    const regions = k >= 9 ? ['us-east-1', 'us-west-2', 'eu-west-1'] : k >= 7 ? ['us-east-1', 'us-west-2'] : ['us-east-1'];
    const scaled = specs.map(([n, p, c]) => [n, p, k >= 7 && c > 1 ? c * regions.length : c]);
    steps.push({ step: k, arch: `migration${k}`, topology: build('migration', scaled, deps, regions) });
  });
  return steps;
}

// ---- traffic model -------------------------------------------------------

export function trafficModel(topo, entryRate, seed = 1) {
  const r = rng(seed);
  const n = topo.services.length;
  const out = topo.services.map(() => []);
  topo.edges.forEach((e) => { if (e.source !== e.target) out[e.source].push(e); });
  const order = topo.services.map((s) => s.id).sort((a, b) => topo.services[a].tier - topo.services[b].tier);
  const base = new Float64Array(n);
  const edgeShare = new Float64Array(topo.edges.length);
  base[0] = entryRate;
  for (const s of order) {
    const es = out[s];
    for (const e of es) {
      const f = 0.5 + r();
      edgeShare[e.id] = f;
      base[e.target] += base[s] * f;
    }
  }
  const baseLat = topo.services.map((s) => 2 + r() * 8 + (s.package === 'priamCassandra' ? 4 : 0));
  return { base, edgeShare, baseLat, out, order };
}

// Per-service figures given per-service multipliers for latency/errors and alive counts.
export function figures(topo, model, state, noise) {
  const n = topo.services.length;
  const rate = new Array(n), errors = new Array(n), p50 = new Array(n), p99 = new Array(n);
  const errShare = new Float64Array(n);
  // latency bottom-up: a service's latency includes its callees'
  const lat = new Float64Array(n);
  for (let k = model.order.length - 1; k >= 0; k--) {
    const s = model.order[k];
    let down = 0;
    for (const e of model.out[s]) down = Math.max(down, lat[e.target]);
    const alive = state.alive[s];
    const total = state.total[s] || 1;
    const crowd = alive === 0 ? 10 : Math.min(5, total / alive);
    lat[s] = model.baseLat[s] * crowd + (state.extraLat[s] || 0) + down;
  }
  for (let k = 0; k < model.order.length; k++) {
    const s = model.order[k];
    const own = (state.extraErr[s] || 0) + (state.alive[s] === 0 ? 1 : 0) + 0.002 * noise();
    let down = 0;
    for (const e of model.out[s]) down = Math.max(down, errShare[e.target] * 0.6);
    errShare[s] = Math.min(1, own + down);
  }
  for (let s = 0; s < n; s++) {
    const rr = model.base[s] * (0.9 + 0.2 * noise()) * state.load;
    rate[s] = +rr.toFixed(2);
    errors[s] = +(rr * errShare[s]).toFixed(2);
    p50[s] = +(lat[s] * (0.9 + 0.2 * noise())).toFixed(2);
    p99[s] = +(lat[s] * (3 + noise())).toFixed(2);
  }
  const erate = topo.edges.map((e) => +(model.base[e.source] * model.edgeShare[e.id] * state.load * (0.9 + 0.2 * noise())).toFixed(2));
  const eerr = topo.edges.map((e, i) => +(erate[i] * errShare[e.target]).toFixed(2));
  return { rate, errors, p50_ms: p50, p99_ms: p99, edges: { rate: erate, errors: eerr }, errShare, lat };
}

const PROTECTED = new Set(['karyon', 'zuul', 'staash', 'monolith']);

export function commandsFor(topo, fig, state, aliveByService, openMap = new Map()) {
  const cmds = [];
  for (const e of topo.edges) {
    const caller = topo.services[e.source], dep = topo.services[e.target];
    if (!PROTECTED.has(caller.package) || e.source === e.target) continue;
    const name = `${caller.name}->${dep.name}`;
    const rate = fig.edges.rate[e.id];
    const es = fig.errShare[e.target];
    const req = Math.round(rate * 10);
    const hosts = aliveByService[e.source];
    const open = Math.min(hosts, openMap.get(name) ?? 0);
    const half = open > 0 && state.t % 10 > 8 ? 1 : 0;
    const failed = Math.round(req * es);
    const timeout = Math.round(failed * 0.3);
    const sc = open > 0 ? Math.round(req * 0.4) : 0;
    const lat = fig.lat[e.target];
    cmds.push({
      name, caller: caller.name, dependency: dep.name, hosts, rate: +rate.toFixed(2),
      error_share: req ? +(Math.min(1, (failed + sc) / req)).toFixed(4) : 0, requests: req,
      counts: {
        success: Math.max(0, req - failed - sc), failure: failed - timeout, timeout, short_circuited: sc,
        thread_pool_rejected: es > 0.3 ? Math.round(req * 0.02) : 0, semaphore_rejected: 0,
        fallback_success: sc, fallback_failure: 0,
      },
      open: open - half, half_open: half, closed: Math.max(0, hosts - open),
      latency_ms: {
        mean: +(lat * 1.2).toFixed(2), p0: +(lat * 0.3).toFixed(2), p25: +(lat * 0.8).toFixed(2),
        p50: +lat.toFixed(2), p75: +(lat * 1.3).toFixed(2), p90: +(lat * 1.8).toFixed(2),
        p95: +(lat * 2.3).toFixed(2), p99: +(lat * 3.5).toFixed(2), 'p99.5': +(lat * 4).toFixed(2),
        p100: +(lat * 6).toFixed(2),
      },
      concurrency: Math.round((rate * lat) / 1000),
      pool: { active: Math.min(10, Math.round((rate * lat) / 1000 / Math.max(1, hosts))), queued: 0, size: 10 },
    });
  }
  return cmds;
}

export function makeTraces(topo, model, n, t0, duration, seed = 3) {
  const r = rng(seed);
  const summaries = [], data = [];
  const insts = topo.services.map(() => []);
  topo.instances.forEach((i) => insts[i.service].push(i.name));
  for (let k = 0; k < n; k++) {
    const spans = [];
    let sid = 0;
    const walk = (svc, parent, start, depth) => {
      const id = (sid++).toString(16).padStart(8, '0');
      const inst = insts[svc][Math.floor(r() * insts[svc].length)] ?? topo.services[svc].name;
      const span = { id, parent, service: topo.services[svc].name, instance: inst, name: `${topo.services[svc].package} request`, start_ms: start, duration_ms: 0, error: false, kind: 'SERVER' };
      spans.push(span);
      let cursor = start + 0.2 + r() * 0.5;
      if (depth < 7 && spans.length < 60) {
        for (const e of model.out[svc]) {
          if (r() < (depth < 2 ? 1 : 0.5)) {
            const c = walk(e.target, id, cursor, depth + 1);
            cursor = c.start_ms + c.duration_ms + 0.1;
          }
        }
      }
      span.duration_ms = +(cursor - start + model.baseLat[svc] * r()).toFixed(3);
      span.error = r() < 0.04;
      span.start_ms = +span.start_ms.toFixed(3);
      return span;
    };
    walk(0, null, 0, 0);
    const id = `${(k * 7919 + 1000).toString(16)}${(k * 104729).toString(16).padStart(8, '0')}`;
    const err = spans.some((s) => s.error);
    summaries.push({ trace: id, root: spans[0].service, start: +(t0 + r() * duration).toFixed(3), duration_ms: spans[0].duration_ms, error: err, spans: spans.length });
    data.push({ trace: id, spans });
  }
  return { summaries, data };
}

// ---- replay document ----------------------------------------------------

export function makeReplay(kind) {
  const duration = 60;
  let steps;
  let topo;
  if (kind === 'migration') { steps = migrationSteps(); topo = structuredClone(steps[steps.length - 1].topology); }
  else topo = kind === 'big' ? big() : netflixoss();
  const model = trafficModel(topo, kind === 'big' ? 2000 : 100);
  const noise = rng(11);
  const ns = topo.services.length;
  const total = new Array(ns).fill(0);
  topo.instances.forEach((i) => total[i.service]++);
  const chaos = [];
  // Chaos: kill instances of a mid-tier service at 15 s, replaced at 20 s; zone down at 30 s
  const victim = topo.services.find((s) => s.package === 'karyon') ?? topo.services[Math.min(2, ns - 1)];
  const vInst = topo.instances.filter((i) => i.service === victim.id).slice(0, 2);
  for (const i of vInst) {
    i.died = 15;
    chaos.push({ time: 15, action: 'kill_instance', target: i.name, detail: `chaos monkey killed ${i.name}` });
    topo.instances.push({ ...i, id: topo.instances.length, name: i.name.replace(/(\d+)$/, (m) => String(Number(m) + 50)), born: 20, died: null });
  }
  const zone = topo.zones[1] ?? topo.zones[0];
  chaos.push({ time: 30, action: 'fail_zone', target: zone, detail: `zone ${zone} down (${topo.instances.filter((i) => i.zone === zone && i.died === null).length} instances)` });
  for (const i of [...topo.instances]) {
    if (i.zone === zone && i.died === null && i.born <= 30) {
      i.died = 30;
      topo.instances.push({ ...i, id: topo.instances.length, name: i.name + 'r', born: 42, died: null });
    }
  }
  chaos.push({ time: 42, action: 'restore_zone', target: zone, detail: `zone ${zone} restored` });
  const slow = topo.services.find((s) => s.package === 'staash') ?? topo.services[ns - 1];
  chaos.push({ time: 35, action: 'add_latency', target: slow.name, detail: `+800 ms, 20% errors on ${slow.name}` });
  chaos.push({ time: 48, action: 'remove_fault', target: slow.name, detail: `latency on ${slow.name} removed` });

  const series = { t: [], services: { rate: topo.services.map(() => []), errors: topo.services.map(() => []), p50_ms: topo.services.map(() => []), p99_ms: topo.services.map(() => []) } };
  const breakers = [];
  const callersOfSlow = topo.edges.filter((e) => e.target === slow.id && e.source !== e.target).map((e) => `${topo.services[e.source].name}->${slow.name}`);
  let lastFig;
  for (let t = 1; t <= duration; t++) {
    const alive = new Array(ns).fill(0);
    topo.instances.forEach((i) => { if (i.born <= t && (i.died === null || t < i.died)) alive[i.service]++; });
    const state = { t, alive, total, load: 1, extraLat: {}, extraErr: {} };
    if (t >= 35 && t < 48) { state.extraLat[slow.id] = 800; state.extraErr[slow.id] = 0.2; }
    const fig = figures(topo, model, state, noise);
    lastFig = { fig, alive, state };
    series.t.push(t);
    for (let s = 0; s < ns; s++) {
      series.services.rate[s].push(fig.rate[s]);
      series.services.errors[s].push(fig.errors[s]);
      series.services.p50_ms[s].push(fig.p50_ms[s]);
      series.services.p99_ms[s].push(fig.p99_ms[s]);
    }
  }
  for (const c of callersOfSlow) {
    breakers.push({ t: 37, command: c, open_share: 0.67 }, { t: 38, command: c, open_share: 1 }, { t: 44, command: c, open_share: 0.33 }, { t: 49, command: c, open_share: 0 });
  }
  breakers.sort((a, b) => a.t - b.t);
  const edge_born = topo.edges.map((e) => (topo.services[e.source].tier >= 3 ? +(0.5 + topo.services[e.source].tier * 0.4).toFixed(2) : 0.1 * topo.services[e.source].tier));
  const commands = commandsFor(topo, lastFig.fig, lastFig.state, lastFig.alive);
  const tr = makeTraces(topo, model, 40, 0, duration);
  const doc = {
    type: 'replay', protocol: 1, arch: kind === 'big' ? 'big500' : kind, duration, source: `dev fixture ${kind}`,
    topology: topo, edge_born, chaos: chaos.sort((a, b) => a.time - b.time), series, breakers, commands,
    traces: tr.summaries, trace_data: tr.data.slice(0, 20),
  };
  if (steps) doc.steps = steps;
  return { doc, traces: tr.data };
}

// ---- live simulation for the mock websocket -------------------------------

export function makeLiveSim(kind) {
  const topo = kind === 'big' ? big() : netflixoss();
  const model = trafficModel(topo, kind === 'big' ? 2000 : 100);
  const noise = rng(5);
  const pick = rng(9);
  const ns = topo.services.length;
  const total = new Array(ns).fill(0);
  topo.instances.forEach((i) => total[i.service]++);
  const sim = {
    arch: kind === 'big' ? 'big500' : 'netflixoss', duration: 600, t: 0, speed: 1, paused: false, ended: false,
    topo, faults: [], faultSeq: 1, pendingBorn: [], pendingDied: [], pendingChaos: [], replace: [],
    extraLat: {}, extraErr: {}, history: [],
    traces: makeTraces(topo, model, 60, 0, 60),
  };
  const serviceByName = new Map(topo.services.map((s) => [s.name, s]));
  const instByName = new Map(topo.instances.map((i) => [i.name, i]));
  const kill = (inst, why) => {
    if (inst.died !== null) return;
    inst.died = sim.t;
    sim.pendingDied.push([inst.id, +sim.t.toFixed(3)]);
    sim.pendingChaos.push({ time: +sim.t.toFixed(3), action: 'kill_instance', target: inst.name, detail: why });
    sim.replace.push({ at: sim.t + 5, from: inst });
  };
  const born = (from) => {
    const n = { ...from, id: topo.instances.length, name: from.name.replace(/-r\d+$/, '') + '-r' + topo.instances.length, born: +sim.t.toFixed(3), died: null };
    topo.instances.push(n); instByName.set(n.name, n); sim.pendingBorn.push(n);
  };
  sim.hello = () => ({
    type: 'hello', protocol: 1, mode: 'live', arch: sim.arch, duration: sim.duration, speed: sim.speed,
    paused: sim.paused, t: +sim.t.toFixed(3), topology: topo,
    chaos_actions: ['kill_instance', 'kill_instances', 'add_latency', 'fail_zone', 'fail_region', 'partition', 'remove_fault'],
    limits: { max_message_bytes: 4096 },
  });
  sim.step = (wallDt) => {
    if (!sim.paused && !sim.ended) sim.t += wallDt * sim.speed;
    if (sim.t >= sim.duration) { sim.t = sim.duration; sim.ended = true; }
    // chaos monkey: every ~20 s kill a random karyon instance
    if (!sim.paused && pick() < 0.012 * sim.speed) {
      const cands = topo.instances.filter((i) => i.died === null && topo.services[i.service].package === 'karyon');
      if (cands.length) kill(cands[Math.floor(pick() * cands.length)], 'chaos monkey');
    }
    sim.replace = sim.replace.filter((r) => {
      if (r.at <= sim.t && !sim.faults.some((f) => f.active && (f.target === r.from.zone || f.target === r.from.region))) { born(r.from); return false; }
      return true;
    });
    const alive = new Array(ns).fill(0);
    let live = 0;
    topo.instances.forEach((i) => { if (i.died === null) { alive[i.service]++; live++; } });
    const state = { t: sim.t, alive, total, load: 1, extraLat: sim.extraLat, extraErr: sim.extraErr };
    const fig = figures(topo, model, state, noise);
    const openMap = new Map();
    for (const e of topo.edges) {
      if (fig.errShare[e.target] > 0.15) openMap.set(`${topo.services[e.source].name}->${topo.services[e.target].name}`, Math.ceil(alive[e.source] * Math.min(1, fig.errShare[e.target] * 2)));
    }
    const tick = {
      type: 'tick', t: +sim.t.toFixed(3), speed: sim.speed, paused: sim.paused, live,
      services: { rate: fig.rate, errors: fig.errors, p50_ms: fig.p50_ms, p99_ms: fig.p99_ms, live: alive },
      edges: fig.edges, born: sim.pendingBorn, died: sim.pendingDied,
      commands: commandsFor(topo, fig, state, alive, openMap), chaos: sim.pendingChaos, faults: sim.faults,
    };
    sim.pendingBorn = []; sim.pendingDied = []; sim.pendingChaos = [];
    return tick;
  };
  const fault = (kind, target) => {
    const f = { id: sim.faultSeq++, kind, target, since: +sim.t.toFixed(3), active: true };
    sim.faults.push(f);
    sim.pendingChaos.push({ time: f.since, action: kind, target, detail: `${kind} ${target}` });
    return f;
  };
  const KEYS = {
    pause: ['type', 'id', 'action'], resume: ['type', 'id', 'action'], speed: ['type', 'id', 'action', 'speed'],
    kill_instance: ['type', 'id', 'action', 'instance'], kill_instances: ['type', 'id', 'action', 'service', 'count'],
    add_latency: ['type', 'id', 'action', 'service', 'latency_ms', 'error_rate'], fail_zone: ['type', 'id', 'action', 'region', 'zone'],
    fail_region: ['type', 'id', 'action', 'region'], partition: ['type', 'id', 'action', 'a', 'b'], remove_fault: ['type', 'id', 'action', 'fault'],
  };
  sim.handle = (raw) => {
    let m;
    try { m = JSON.parse(raw); } catch { return { type: 'error', id: null, message: 'not JSON' }; }
    if (!m || typeof m !== 'object' || Array.isArray(m)) return { type: 'error', id: null, message: 'not an object' };
    const id = typeof m.id === 'number' ? m.id : null;
    const err = (message) => ({ type: 'error', id, message });
    const want = KEYS[m.action];
    if (!want) return err(`unknown action ${m.action}`);
    const keys = Object.keys(m).filter((k) => k !== 'caller');
    if (keys.length !== want.length || !want.every((k) => k in m)) return err(`keys must be ${want.join(', ')}`);
    switch (m.action) {
      case 'pause': sim.paused = true; return { type: 'ack', id, result: { paused: true } };
      case 'resume': sim.paused = false; return { type: 'ack', id, result: { paused: false } };
      case 'speed':
        if (typeof m.speed !== 'number' || m.speed < 0.1 || m.speed > 100) return err('speed must be 0.1..100');
        sim.speed = m.speed; return { type: 'ack', id, result: { speed: m.speed } };
      case 'kill_instance': {
        const i = instByName.get(m.instance);
        if (!i || i.died !== null) return err(`no live instance ${m.instance}`);
        kill(i, 'killed from the UI'); return { type: 'ack', id, result: { killed: [i.name] } };
      }
      case 'kill_instances': {
        const s = serviceByName.get(m.service);
        if (!s) return err(`unknown service ${m.service}`);
        const live = topo.instances.filter((i) => i.service === s.id && i.died === null).slice(0, m.count);
        live.forEach((i) => kill(i, 'killed from the UI'));
        return { type: 'ack', id, result: { killed: live.map((i) => i.name) } };
      }
      case 'add_latency': {
        const s = serviceByName.get(m.service);
        if (!s) return err(`unknown service ${m.service}`);
        sim.extraLat[s.id] = m.latency_ms; sim.extraErr[s.id] = m.error_rate;
        const f = fault('add_latency', s.name); f.svc = s.id;
        return { type: 'ack', id, result: { fault: f.id } };
      }
      case 'fail_zone': case 'fail_region': {
        const target = m.action === 'fail_zone' ? `${m.region}/${m.zone}` : m.region;
        const hit = topo.instances.filter((i) => i.died === null && (i.zone === target || i.region === target));
        if (!hit.length && !(topo.zones.includes(target) || topo.regions.includes(target))) return err(`unknown ${target}`);
        const f = fault(m.action, target);
        hit.forEach((i) => kill(i, `${m.action} ${target}`));
        return { type: 'ack', id, result: { fault: f.id, killed: hit.length } };
      }
      case 'partition': {
        const ok = (x) => topo.zones.includes(x) || topo.regions.includes(x);
        if (!ok(m.a) || !ok(m.b) || m.a === m.b) return err('partition needs two different regions or zones');
        const f = fault('partition', `${m.a} | ${m.b}`);
        return { type: 'ack', id, result: { fault: f.id } };
      }
      case 'remove_fault': {
        const f = sim.faults.find((x) => x.id === m.fault && x.active);
        if (!f) return err(`no active fault ${m.fault}`);
        f.active = false;
        if (f.svc !== undefined) { delete sim.extraLat[f.svc]; delete sim.extraErr[f.svc]; }
        return { type: 'ack', id, result: { removed: f.id } };
      }
    }
    return err('unhandled');
  };
  return sim;
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const out = join(dirname(fileURLToPath(import.meta.url)), 'out');
  mkdirSync(out, { recursive: true });
  for (const k of ['netflixoss', 'big', 'migration']) {
    const { doc } = makeReplay(k);
    writeFileSync(join(out, `${k}.replay.json`), JSON.stringify(doc));
    console.log(`${k}: ${doc.topology.services.length} services, ${doc.topology.instances.length} instances, ${doc.topology.edges.length} edges`);
  }
}
