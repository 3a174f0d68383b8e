// Where the data comes from: the live websocket, the replay document (HTTP or
// embedded in the page), and the traces.
import { emptyTopology, normaliseTopology, type Store } from './store';
import type { Command, CommandCounts, CommandSeries, Replay, ServerMessage, Topology, Trace, TraceSummary } from './types';

export interface Notifier { (text: string, kind: 'ok' | 'err' | 'info' | 'chaos'): void }

const MAX_BYTES = 4096;

export class LiveSource {
  private ws: WebSocket | null = null;
  private backoff = 500;
  private nextId = 1;
  private pending = new Map<number, string>();
  private maxBytes = MAX_BYTES;
  private stopped = false;
  onStatus: (connected: boolean, text: string) => void = () => {};

  constructor(readonly store: Store, readonly url: string, readonly notify: Notifier) {}

  start(): void { this.connect(); }

  private connect(): void {
    if (this.stopped) return;
    let ws: WebSocket;
    try { ws = new WebSocket(this.url); } catch (e) {
      console.warn('monkeyhouse: websocket failed', e);
      this.retry();
      return;
    }
    this.ws = ws;
    this.onStatus(false, 'connecting…');
    ws.onopen = () => { this.backoff = 500; this.store.connected = true; this.onStatus(true, 'connected'); };
    ws.onmessage = (ev) => this.receive(ev.data);
    ws.onclose = () => {
      this.store.connected = false;
      this.ws = null;
      for (const [, label] of this.pending) this.notify(`${label}: no answer (connection lost)`, 'err');
      this.pending.clear();
      this.retry();
    };
    ws.onerror = () => { /* onclose follows */ };
  }

  private retry(): void {
    const wait = this.backoff;
    this.backoff = Math.min(10_000, this.backoff * 2);
    this.onStatus(false, `disconnected, retrying in ${(wait / 1000).toFixed(1)} s`);
    setTimeout(() => this.connect(), wait);
  }

  private receive(data: unknown): void {
    if (typeof data !== 'string') { console.warn('monkeyhouse: ignoring a binary message'); return; }
    let m: ServerMessage;
    try { m = JSON.parse(data); } catch { console.warn('monkeyhouse: ignoring a message that is not JSON'); return; }
    if (!m || typeof m !== 'object' || typeof (m as { type?: unknown }).type !== 'string') {
      console.warn('monkeyhouse: ignoring a message without a type', m);
      return;
    }
    try {
      switch (m.type) {
        case 'hello':
          if (m.limits && typeof m.limits.max_message_bytes === 'number') this.maxBytes = m.limits.max_message_bytes;
          this.store.applyHello(m);
          break;
        case 'tick': {
          if (this.store.mode !== 'live') { console.warn('monkeyhouse: tick before hello ignored'); return; }
          const fresh = this.store.applyTick(m);
          for (const c of fresh.slice(-3)) this.notify(`${c.action} ${c.target}${c.detail ? ' — ' + c.detail : ''}`, 'chaos');
          this.store.emit('meta');
          break;
        }
        case 'ack': {
          const label = this.pending.get(m.id) ?? `command ${m.id}`;
          this.pending.delete(m.id);
          this.notify(`${label}: ${describeResult(m.result)}`, 'ok');
          break;
        }
        case 'error': {
          const label = m.id !== null && m.id !== undefined ? this.pending.get(m.id) : undefined;
          if (m.id !== null && m.id !== undefined) this.pending.delete(m.id);
          this.notify(`${label ? label + ': ' : ''}${m.message}`, 'err');
          break;
        }
        case 'end':
          this.store.ended = m.status === 'interrupted' ? 'interrupted' : 'complete';
          this.store.t = typeof m.t === 'number' ? m.t : this.store.t;
          this.notify(`run ${this.store.ended} at ${this.store.t.toFixed(1)} s`, 'info');
          this.store.emit('meta');
          break;
        default:
          console.warn('monkeyhouse: ignoring unknown message type', (m as { type: string }).type);
      }
    } catch (e) {
      console.warn('monkeyhouse: ignoring a malformed message', e);
    }
  }

  /** Send a control or chaos command; returns its id, or null when it could not go. */
  send(msg: Record<string, unknown>, label: string): number | null {
    const ws = this.ws;
    if (!ws || ws.readyState !== WebSocket.OPEN) { this.notify(`${label}: not connected`, 'err'); return null; }
    const id = this.nextId++;
    const text = JSON.stringify({ ...msg, id });
    if (new TextEncoder().encode(text).length > this.maxBytes) { this.notify(`${label}: message too large`, 'err'); return null; }
    this.pending.set(id, label);
    if (this.pending.size > 200) this.pending.delete(this.pending.keys().next().value as number);
    ws.send(text);
    return id;
  }
}

function describeResult(r: unknown): string {
  if (!r || typeof r !== 'object') return 'done';
  const o = r as Record<string, unknown>;
  const f = o.fault as { id?: number; kind?: string; target?: string } | undefined;
  const fault = f && typeof f === 'object' ? `fault #${f.id} ${f.kind ?? ''} ${f.target ?? ''}`.trim() : '';
  const killed = Array.isArray(o.killed) ? `killed ${o.killed.length === 1 ? o.killed[0] : o.killed.length + ' instances'}` : '';
  if (fault || killed) return [fault, killed].filter(Boolean).join(', ');
  const parts = Object.entries(o).map(([k, v]) => `${k} ${typeof v === 'object' ? JSON.stringify(v) : String(v)}`);
  return parts.join(', ').slice(0, 160) || 'done';
}

// ---------------------------------------------------------------------------

export class ReplayController {
  t = 0;
  playing = false;
  speed = 1;
  stepIdx: number | null = null;
  private breakerRows = new Map<string, { t: number[]; share: number[]; dep: number }>();
  /** the run's commands per metrics sample, when the run folder has them */
  private commandSeries: CommandSeries[] = [];
  private mapToMain = new Int32Array(0); // current topology's service → main topology's service
  private main: Topology;
  private lastEmit = 0;
  private lastWall = 0;
  onChange: () => void = () => {};

  constructor(readonly store: Store, readonly doc: Replay, readonly traceData: Map<string, Trace>) {
    this.main = normaliseTopology(doc.topology ?? emptyTopology());
    this.duration = typeof doc.duration === 'number' ? doc.duration : (doc.series?.t?.at(-1) ?? 0);
    this.commandSeries = Array.isArray(doc.command_series)
      ? doc.command_series.filter((c) => c && typeof c.name === 'string' && Array.isArray(c.t)) : [];
    const depOf = new Map<string, string>();
    for (const c of doc.commands ?? []) depOf.set(c.name, c.dependency);
    const byName = new Map(this.main.services.map((s) => [s.name, s.id]));
    for (const b of Array.isArray(doc.breakers) ? [...doc.breakers].sort((x, y) => x.t - y.t) : []) {
      let row = this.breakerRows.get(b.command);
      if (!row) {
        const dname = depOf.get(b.command) ?? (b.command.includes('->') ? b.command.split('->').pop()! : '');
        row = { t: [], share: [], dep: byName.get(dname) ?? -1 };
        this.breakerRows.set(b.command, row);
      }
      row.t.push(b.t); row.share.push(b.open_share);
    }
  }
  readonly duration: number;

  start(): void {
    const s = this.store;
    s.arch = String(this.doc.arch ?? '');
    s.source = String(this.doc.source ?? '');
    s.duration = this.duration;
    s.commands = Array.isArray(this.doc.commands) ? this.doc.commands : [];
    s.chaos = Array.isArray(this.doc.chaos) ? this.doc.chaos : [];
    s.setTopology(this.main, false);
    this.mapToMain = Int32Array.from(this.main.services.map((x) => x.id));
    // open on the end of the run, just before instances that were shut down at the end go
    this.at(Math.max(0, this.duration - 1e-3), true);
    s.emit('meta');
    let raf = 0;
    const loop = (now: number) => {
      raf = requestAnimationFrame(loop);
      if (!this.playing) { this.lastWall = now; return; }
      const dt = Math.min(0.25, (now - this.lastWall) / 1000);
      this.lastWall = now;
      let t = this.t + dt * this.speed;
      if (t >= this.duration) { t = this.duration; this.playing = false; this.onChange(); }
      this.at(t, now - this.lastEmit > 100 || !this.playing);
      if (now - this.lastEmit > 100) this.lastEmit = now;
    };
    raf = requestAnimationFrame(loop);
    void raf;
  }

  play(): void {
    if (this.t >= this.duration) this.t = 0;
    this.playing = true; this.lastWall = performance.now(); this.onChange();
  }
  pause(): void { this.playing = false; this.onChange(); }

  /** Show the run as it was at time t. */
  at(t: number, emit = true): void {
    const s = this.store, doc = this.doc;
    t = Math.max(0, Math.min(this.duration, isFinite(t) ? t : 0));
    this.t = t;
    s.t = t;
    const now = performance.now();
    const topo = s.topo;
    if (this.stepIdx === null) {
      for (const i of topo.instances) s.setAlive(i.id, i.born <= t && (i.died === null || t < i.died), now);
      const eb = doc.edge_born;
      for (let e = 0; e < topo.edges.length; e++) {
        const b = Array.isArray(eb) ? eb[e] : 0;
        s.edgeOn[e] = b === undefined ? 1 : b !== null && b <= t ? 1 : 0;
      }
    }
    s.countLive();
    // figures from the series interval that holds t
    const ser = doc.series;
    const ts = ser?.t ?? [];
    let idx = -1;
    if (ts.length) {
      let lo = 0, hi = ts.length - 1;
      while (lo < hi) { const mid = (lo + hi) >> 1; if (ts[mid] < t) lo = mid + 1; else hi = mid; }
      idx = lo;
    }
    const ns = topo.services.length;
    const pick = (arr: number[][] | undefined, m: number) => (idx >= 0 && arr && arr[m] ? +arr[m][idx] || 0 : 0);
    for (let k = 0; k < ns; k++) {
      const m = this.mapToMain[k];
      if (m < 0) { s.rate[k] = s.errors[k] = s.p50[k] = s.p99[k] = 0; continue; }
      s.rate[k] = pick(ser?.services?.rate, m);
      s.errors[k] = pick(ser?.services?.errors, m);
      s.p50[k] = pick(ser?.services?.p50_ms, m);
      s.p99[k] = pick(ser?.services?.p99_ms, m);
    }
    s.hasFigures = idx >= 0;
    // edge figures: from the series when it has them, else the target's rate split by its callers' rates
    if (this.stepIdx === null && ser?.edges?.rate) {
      for (let e = 0; e < topo.edges.length; e++) {
        s.edgeRate[e] = idx >= 0 ? +(ser.edges.rate[e]?.[idx] ?? 0) || 0 : 0;
        s.edgeErr[e] = idx >= 0 ? +(ser.edges.errors?.[e]?.[idx] ?? 0) || 0 : 0;
      }
    } else {
      const inRate = new Float64Array(ns);
      for (const e of topo.edges) if (s.edgeOn[e.id] && e.source !== e.target) inRate[e.target] += s.rate[e.source];
      for (const e of topo.edges) {
        if (!s.edgeOn[e.id]) { s.edgeRate[e.id] = 0; s.edgeErr[e.id] = 0; continue; }
        const r = e.source === e.target ? s.rate[e.target] * 0.1
          : inRate[e.target] > 0 ? (s.rate[e.target] * s.rate[e.source]) / inRate[e.target] : 0;
        s.edgeRate[e.id] = r;
        s.edgeErr[e.id] = r * s.errorShare(e.target);
      }
    }
    // breakers at t
    s.breakerOpen.fill(0);
    const openBy = new Map<string, number>();
    for (const [name, row] of this.breakerRows) {
      let lo = 0, hi = row.t.length;
      while (lo < hi) { const mid = (lo + hi) >> 1; if (row.t[mid] <= t) lo = mid + 1; else hi = mid; }
      const share = lo > 0 ? row.share[lo - 1] : 0;
      openBy.set(name, share);
      if (share > 0 && row.dep >= 0) {
        const local = this.localService(row.dep);
        if (local >= 0) s.breakerOpen[local] = Math.max(s.breakerOpen[local], share);
      }
    }
    if (this.commandSeries.length) {
      // each command as its last metrics sample at or before t left it
      let asOf = -1;
      s.commands = this.commandSeries.map((c) => {
        const k = lastAtOrBefore(c.t, t);
        if (k >= 0) asOf = Math.max(asOf, c.t[k]);
        return commandAt(c, k);
      });
      s.commandsAsOf = asOf;
    } else {
      s.commands = (doc.commands ?? []).map((c) => withBreaker(c, openBy.get(c.name)));
      s.commandsAsOf = null;
    }
    if (emit) { s.emit('instances'); s.emit('tick'); s.emit('meta'); }
  }

  private localService(mainId: number): number {
    if (this.stepIdx === null) return mainId;
    const name = this.main.services[mainId]?.name;
    return name === undefined ? -1 : s2i(this.store.serviceByName.get(name)?.id);
  }

  hasSteps(): boolean { return Array.isArray(this.doc.steps) && this.doc.steps.length > 0; }
  stepCount(): number { return this.doc.steps?.length ?? 0; }

  /** null: the run's own topology (time-driven); k: the topology that step k builds. */
  setStep(k: number | null): void {
    const steps = this.doc.steps ?? [];
    if (k !== null && (k < 0 || k >= steps.length)) return;
    this.stepIdx = k;
    const s = this.store;
    if (k === null) {
      s.setTopology(this.main, false);
      this.mapToMain = Int32Array.from(this.main.services.map((x) => x.id));
    } else {
      const topo = normaliseTopology(steps[k].topology);
      for (const i of topo.instances) i.died = null;
      s.setTopology(topo, true);
      const byName = new Map(this.main.services.map((x) => [x.name, x.id]));
      this.mapToMain = Int32Array.from(topo.services.map((x) => byName.get(x.name) ?? -1));
    }
    this.at(this.t, true);
  }

  stepLabel(): string {
    if (this.stepIdx === null) return `Run (${this.doc.steps?.length ?? 0} steps)`;
    const st = this.doc.steps![this.stepIdx];
    return `Step ${st.step ?? this.stepIdx}: ${st.arch ?? ''}`;
  }

  traceList(): TraceSummary[] { return Array.isArray(this.doc.traces) ? this.doc.traces : []; }

  /** A command's request rate per metrics interval over the `seconds` up to t; null when the
   * replay has no per-command series (or none for that command). */
  commandRates(name: string, seconds: number): number[] | null {
    const c = this.commandSeries.find((x) => x.name === name);
    if (!c) return null;
    const out: number[] = [];
    for (let i = 0; i < c.t.length && c.t[i] <= this.t; i++) if (c.t[i] >= this.t - seconds) out.push(+c.rate[i] || 0);
    return out;
  }
}

/** The index of the last of the ascending `times` that is <= t; -1 when none is. */
function lastAtOrBefore(times: number[], t: number): number {
  let lo = 0, hi = times.length;
  while (lo < hi) { const mid = (lo + hi) >> 1; if (times[mid] <= t) lo = mid + 1; else hi = mid; }
  return lo - 1;
}

const EVENT_KINDS: (keyof CommandCounts)[] = ['success', 'failure', 'timeout', 'short_circuited',
  'thread_pool_rejected', 'semaphore_rejected', 'fallback_success', 'fallback_failure'];

/** A command as its sample k left it (k < 0: before the first sample: nothing yet, closed). */
function commandAt(c: CommandSeries, k: number): Command {
  const num = (a: (number | null)[] | undefined, i: number) => (i >= 0 && a ? +(a[i] ?? 0) || 0 : 0);
  const counts = {} as CommandCounts;
  for (const kind of EVENT_KINDS) counts[kind] = num(c.counts?.[kind], k);
  const requests = EVENT_KINDS.slice(0, 6).reduce((sum, kind) => sum + counts[kind], 0);
  const breakers = num(c.breakers, k >= 0 ? k : 0);
  const open = num(c.open, k), half = num(c.half_open, k);
  const latency: Record<string, number> = {};
  for (const [key, arr] of [['p50', c.p50_ms], ['p99', c.p99_ms]] as const) {
    const v = k >= 0 ? arr?.[k] : null;
    if (typeof v === 'number' && isFinite(v)) latency[key] = v;
  }
  return {
    name: c.name, caller: c.caller, dependency: c.dependency, hosts: breakers,
    rate: num(c.rate, k), error_share: num(c.error_share, k), requests, counts,
    open, half_open: half, closed: Math.max(0, breakers - open - half),
    latency_ms: latency, concurrency: num(c.concurrent, k), pool: null,
  };
}

function s2i(x: number | undefined): number { return x === undefined ? -1 : x; }

function withBreaker(c: Command, share: number | undefined): Command {
  if (share === undefined) return c;
  const hosts = Math.max(1, c.hosts || 1);
  const open = share > 0 ? Math.max(1, Math.round(share * hosts)) : 0;
  return { ...c, open, half_open: 0, closed: Math.max(0, hosts - open) };
}

// ---------------------------------------------------------------------------

export async function getJSON<T>(url: string): Promise<T> {
  const r = await fetch(url, { headers: { accept: 'application/json' } });
  if (!r.ok) throw new Error(`${url}: HTTP ${r.status}`);
  return (await r.json()) as T;
}

/** Traces: embedded ones offline, /api/traces otherwise. */
export class TraceSource {
  constructor(readonly embedded: Map<string, Trace> | null, readonly embeddedList: TraceSummary[] | null) {}
  async list(): Promise<TraceSummary[]> {
    if (this.embeddedList) return this.embeddedList;
    const l = await getJSON<TraceSummary[]>('/api/traces');
    return Array.isArray(l) ? l : [];
  }
  has(id: string): boolean { return !this.embedded || this.embedded.has(id); }
  async get(id: string): Promise<Trace | null> {
    if (this.embedded) return this.embedded.get(id) ?? null;
    try { return await getJSON<Trace>(`/api/traces/${encodeURIComponent(id)}`); } catch (e) {
      console.warn('monkeyhouse: trace fetch failed', e);
      return null;
    }
  }
}
