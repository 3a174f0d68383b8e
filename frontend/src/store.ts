// The one state the views read: topology, the figures at the current time,
// instances alive, breakers, commands, faults. Sources (live, replay) write it.
import type { ChaosRecord, Command, Fault, Hello, Instance, Service, Tick, Topology } from './types';
import { Ring } from './util';

export type Mode = 'live' | 'replay' | 'offline' | 'connecting';
type Listener = () => void;
type EventName = 'topology' | 'instances' | 'tick' | 'meta' | 'select';

export const HISTORY_POINTS = 1200; // per service, ~5 min of 250 ms ticks
export const SPARK_SECONDS = 120;

export function emptyTopology(): Topology {
  return { services: [], edges: [], regions: [], zones: [], instances: [] };
}

export interface Selection { kind: 'service' | 'instance'; id: number }

export class Store {
  mode: Mode = 'connecting';
  arch = '';
  source = '';
  duration = 0;
  t = 0;
  speed = 1;
  paused = false;
  ended: string | null = null;
  connected = false;
  chaosActions = new Set<string>();

  topo: Topology = emptyTopology();
  topoVersion = 0;
  instVersion = 0;
  serviceByName = new Map<string, Service>();
  instanceByName = new Map<string, Instance>();
  /** zone name → region, from the topology's zone list ("region/zone"). */

  rate = new Float64Array(0);
  errors = new Float64Array(0);
  p50 = new Float64Array(0);
  p99 = new Float64Array(0);
  svcLive = new Int32Array(0);
  edgeRate = new Float64Array(0);
  edgeErr = new Float64Array(0);
  edgeOn = new Uint8Array(0);
  breakerOpen = new Float64Array(0);
  /** per instance: 1 alive; and when that last changed (performance.now()) for fades */
  alive = new Uint8Array(0);
  changedAt = new Float64Array(0);
  liveCount = 0;
  hasFigures = false;
  /** performance.now() of the latest instance birth or death (for fades) */
  lastInstChange = -1e9;

  commands: Command[] = [];
  /** replay: the end of the metrics interval `commands` are as at (-1 before the first one);
   * null when they are end-of-run totals (or live) */
  commandsAsOf: number | null = null;
  faults: Fault[] = [];
  chaos: ChaosRecord[] = [];

  // live history (ring buffers: bounded memory)
  histT = new Ring(HISTORY_POINTS);
  histRate: Ring[] = [];
  histErr: Ring[] = [];
  histP50: Ring[] = [];
  histP99: Ring[] = [];
  cmdHist = new Map<string, { t: Ring; rate: Ring }>();

  selection: Selection | null = null;

  private listeners = new Map<EventName, Set<Listener>>();

  on(ev: EventName, fn: Listener): void {
    let s = this.listeners.get(ev);
    if (!s) this.listeners.set(ev, (s = new Set()));
    s.add(fn);
  }
  emit(ev: EventName): void {
    for (const fn of this.listeners.get(ev) ?? []) {
      try { fn(); } catch (e) { console.error(`monkeyhouse: ${ev} listener failed`, e); }
    }
  }

  setTopology(topo: Topology, allAliveByDied = true): void {
    const t = normaliseTopology(topo);
    this.topo = t;
    const ns = t.services.length, ne = t.edges.length;
    this.rate = new Float64Array(ns);
    this.errors = new Float64Array(ns);
    this.p50 = new Float64Array(ns);
    this.p99 = new Float64Array(ns);
    this.svcLive = new Int32Array(ns);
    this.breakerOpen = new Float64Array(ns);
    this.edgeRate = new Float64Array(ne);
    this.edgeErr = new Float64Array(ne);
    this.edgeOn = new Uint8Array(ne).fill(1);
    this.serviceByName = new Map(t.services.map((s) => [s.name, s]));
    this.instanceByName = new Map(t.instances.map((i) => [i.name, i]));
    const ni = t.instances.length;
    this.alive = new Uint8Array(Math.max(16, ni * 2));
    this.changedAt = new Float64Array(this.alive.length).fill(-1e9);
    if (allAliveByDied) for (let i = 0; i < ni; i++) this.alive[i] = t.instances[i].died === null ? 1 : 0;
    this.countLive();
    this.hasFigures = false;
    this.histT.clear();
    const mk = () => t.services.map(() => new Ring(HISTORY_POINTS));
    this.histRate = mk(); this.histErr = mk(); this.histP50 = mk(); this.histP99 = mk();
    this.cmdHist.clear();
    if (this.selection) {
      const sel = this.selection;
      const ok = sel.kind === 'service' ? sel.id < ns : sel.id < ni;
      if (!ok) this.selection = null;
    }
    this.topoVersion++;
    this.instVersion++;
    this.emit('topology');
  }

  countLive(): void {
    let n = 0;
    const ns = this.topo.services.length;
    const per = new Int32Array(ns);
    for (let i = 0; i < this.topo.instances.length; i++) {
      if (this.alive[i]) { n++; const s = this.topo.instances[i].service; if (s >= 0 && s < ns) per[s]++; }
    }
    this.liveCount = n;
    if (!this.hasFigures || this.mode !== 'live') this.svcLive = per;
  }

  private ensureInstCapacity(n: number): void {
    if (n <= this.alive.length) return;
    const cap = Math.max(n, this.alive.length * 2);
    const a = new Uint8Array(cap); a.set(this.alive); this.alive = a;
    const c = new Float64Array(cap).fill(-1e9); c.set(this.changedAt); this.changedAt = c;
  }

  addInstance(inst: Instance, now: number): void {
    const t = this.topo;
    if (!isInstance(inst) || inst.service < 0 || inst.service >= t.services.length) {
      console.warn('monkeyhouse: ignoring malformed instance', inst);
      return;
    }
    if (inst.id !== t.instances.length) {
      // ids equal their index; tolerate a resend of a known one
      if (inst.id < t.instances.length) return;
      console.warn('monkeyhouse: instance id out of order', inst.id, t.instances.length);
    }
    const copy: Instance = { ...inst, id: t.instances.length };
    t.instances.push(copy);
    this.instanceByName.set(copy.name, copy);
    this.ensureInstCapacity(t.instances.length);
    if (copy.died === null) { this.alive[copy.id] = 1; this.changedAt[copy.id] = now; this.lastInstChange = now; }
  }

  setAlive(id: number, on: boolean, now: number): void {
    if (id < 0 || id >= this.topo.instances.length) return;
    const v = on ? 1 : 0;
    if (this.alive[id] !== v) { this.alive[id] = v; this.changedAt[id] = now; this.lastInstChange = now; }
  }

  applyHello(h: Hello): void {
    this.mode = 'live';
    this.arch = String(h.arch ?? '');
    this.duration = num(h.duration);
    this.speed = num(h.speed, 1);
    this.paused = !!h.paused;
    this.t = num(h.t);
    this.ended = null;
    this.chaosActions = new Set(Array.isArray(h.chaos_actions) ? h.chaos_actions : []);
    this.faults = [];
    this.chaos = [];
    this.commands = [];
    this.setTopology(h.topology ?? emptyTopology());
    this.emit('meta');
  }

  applyTick(k: Tick): ChaosRecord[] {
    const now = performance.now();
    this.t = num(k.t, this.t);
    this.speed = num(k.speed, this.speed);
    this.paused = !!k.paused;
    let instChanged = false;
    if (Array.isArray(k.born) && k.born.length) {
      for (const i of k.born) this.addInstance(i, now);
      instChanged = true;
    }
    if (Array.isArray(k.died) && k.died.length) {
      for (const d of k.died) {
        if (!Array.isArray(d)) continue;
        const inst = this.topo.instances[d[0]];
        if (!inst) continue;
        inst.died = num(d[1], this.t);
        this.setAlive(inst.id, false, now);
      }
      instChanged = true;
    }
    const ns = this.topo.services.length;
    const s = k.services;
    if (s) {
      copyInto(this.rate, s.rate); copyInto(this.errors, s.errors);
      copyInto(this.p50, s.p50_ms); copyInto(this.p99, s.p99_ms);
      if (Array.isArray(s.live)) for (let i = 0; i < ns; i++) this.svcLive[i] = num(s.live[i]);
      this.hasFigures = true;
    }
    if (k.edges) { copyInto(this.edgeRate, k.edges.rate); copyInto(this.edgeErr, k.edges.errors); }
    if (typeof k.live === 'number') this.liveCount = k.live;
    else this.countLive();
    if (Array.isArray(k.commands)) {
      this.commands = k.commands.filter((c) => c && typeof c.name === 'string');
      this.breakersFromCommands();
      for (const c of this.commands) {
        let h = this.cmdHist.get(c.name);
        if (!h) { h = { t: new Ring(600), rate: new Ring(600) }; this.cmdHist.set(c.name, h); }
        h.t.push(this.t); h.rate.push(num(c.rate));
      }
      if (this.cmdHist.size > 2000) this.cmdHist.clear();
    }
    if (Array.isArray(k.faults)) this.faults = k.faults;
    const fresh = Array.isArray(k.chaos) ? k.chaos : [];
    if (fresh.length) {
      this.chaos.push(...fresh);
      if (this.chaos.length > 500) this.chaos.splice(0, this.chaos.length - 500);
    }
    // history for charts
    this.histT.push(this.t);
    for (let i = 0; i < ns; i++) {
      this.histRate[i].push(this.rate[i]); this.histErr[i].push(this.errors[i]);
      this.histP50[i].push(this.p50[i]); this.histP99[i].push(this.p99[i]);
    }
    if (instChanged) { this.instVersion++; this.emit('instances'); }
    this.emit('tick');
    return fresh;
  }

  breakersFromCommands(): void {
    this.breakerOpen.fill(0);
    for (const c of this.commands) {
      const s = this.serviceByName.get(c.dependency);
      if (!s || !(c.open > 0)) continue;
      const share = c.open / Math.max(1, c.open + (c.half_open || 0) + (c.closed || 0));
      this.breakerOpen[s.id] = Math.max(this.breakerOpen[s.id], share);
    }
  }

  errorShare(s: number): number {
    const r = this.rate[s];
    return r > 0 ? Math.min(1, this.errors[s] / r) : 0;
  }

  /**
   * The front door: the tier-0 service; when it carries no traffic in the data
   * (a DNS entry point may not count requests), the lowest-tier service that does.
   */
  entryService(): number {
    const ss = this.topo.services;
    if (!ss.length) return -1;
    const byTier = [...ss].sort((a, b) => a.tier - b.tier || a.id - b.id);
    if (this.hasFigures) for (const s of byTier) if (this.rate[s.id] > 0) return s.id;
    return byTier[0].id;
  }

  select(sel: Selection | null): void {
    this.selection = sel;
    this.emit('select');
  }
}

function num(x: unknown, dflt = 0): number {
  return typeof x === 'number' && isFinite(x) ? x : dflt;
}

function copyInto(dst: Float64Array, src: unknown): void {
  if (!Array.isArray(src)) return;
  const n = Math.min(dst.length, src.length);
  for (let i = 0; i < n; i++) dst[i] = num(src[i]);
}

function isInstance(i: unknown): i is Instance {
  const x = i as Instance;
  return !!x && typeof x.name === 'string' && typeof x.service === 'number' && typeof x.id === 'number';
}

/** Defensive copy: drop malformed entries, make ids equal indexes. */
export function normaliseTopology(t: Partial<Topology> | null | undefined): Topology {
  const services = (Array.isArray(t?.services) ? t!.services : []).filter((s) => s && typeof s.name === 'string')
    .map((s, i) => ({ id: i, name: s.name, package: String(s.package ?? ''), tier: typeof s.tier === 'number' ? s.tier : 0 }));
  const ns = services.length;
  const edges = (Array.isArray(t?.edges) ? t!.edges : [])
    .filter((e) => e && e.source >= 0 && e.source < ns && e.target >= 0 && e.target < ns)
    .map((e, i) => ({ id: i, source: e.source, target: e.target }));
  const instances = (Array.isArray(t?.instances) ? t!.instances : [])
    .filter((i) => isInstance(i) && i.service >= 0 && i.service < ns)
    .map((i, k) => ({ ...i, id: k, born: num(i.born), died: typeof i.died === 'number' ? i.died : null }));
  // region- and world-wide instances (zone "*", region "*") stay out of these lists:
  // they are what the chaos controls offer
  const zones = Array.isArray(t?.zones) ? t!.zones.filter((z) => typeof z === 'string') : [];
  const regions = Array.isArray(t?.regions) ? t!.regions.filter((r) => typeof r === 'string') : [];
  return { services, edges, regions, zones, instances };
}
