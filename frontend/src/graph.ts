// The dependency graph on one Canvas 2D: services view and instances view.
// Drawing is batched (one path per colour bucket, fillRect for dots, no
// save/restore per node, no shadows) so 10,000 instances animate in software.
import { DOT, layoutInstances, layoutServices, layoutZones, Slots, TIER_GAP, type InstanceLayout, type ServiceLayout } from './layout';
import type { Selection, Store } from './store';
import { fmtMs, fmtPct, fmtRate, healthColor, healthLevel, HEALTH_LEVELS } from './util';

export type View = 'services' | 'instances';

const BG = '#0b0f14';
const DEAD = HEALTH_LEVELS; // extra colour bucket: a service with no live instance
const NCOL = HEALTH_LEVELS + 1;
const colorOf = (lvl: number) => (lvl === DEAD ? '#6e7681' : healthColor(lvl));
const EDGE_COL = ['#5b7a99', '#d29922', '#f85149'];
const DOT_COL = ['#a5d6ff', '#ff7b72'];
const FADE_IN = 450, FADE_OUT = 700, MORPH = 900;
const CELL = 24;

interface Ghost { x: number; y: number; r: number; lvl: number; name: string; t0: number }
/** A label drawn in the last static render: canvas CSS pixels. */
export interface LabelBox { name: string; x: number; y: number; w: number; h: number }
/** A tier column of the services view: its world extent and header texts. */
interface TierCol { tier: number; x0: number; x1: number; full: string; short: string }
const LABEL_FONT = '11px system-ui, -apple-system, Segoe UI, sans-serif';
const HEAD_FONT = '600 10.5px system-ui, -apple-system, Segoe UI, sans-serif';
/** Milliseconds after the last wheel turn or drag step before labels are placed again. */
const MOTION_SETTLE = 150;
const LABEL_H = 14; // a label line's box height (CSS px)
const LOW_ZOOM_CHARS = 18; // longer names are cut with an ellipsis at low zoom
const HEAD_H = 34; // room kept above the graph for the tier headers (CSS px)

/**
 * Label boxes already placed, bucketed in a coarse screen grid so that a new box is tested
 * only against its neighbours.
 */
class CollisionGrid {
  private cells = new Map<number, number[]>();
  private boxes: number[] = [];
  constructor(private readonly cell = 48) {}
  private range(x: number, y: number, w: number, h: number): [number, number, number, number] {
    const c = this.cell;
    return [Math.floor(x / c), Math.floor(y / c), Math.floor((x + w) / c), Math.floor((y + h) / c)];
  }
  free(x: number, y: number, w: number, h: number): boolean {
    const [c0, r0, c1, r1] = this.range(x, y, w, h), B = this.boxes;
    for (let r = r0; r <= r1; r++) {
      for (let c = c0; c <= c1; c++) {
        const list = this.cells.get(r * 100003 + c);
        if (!list) continue;
        for (const i of list) {
          if (x < B[i + 2] && B[i] < x + w && y < B[i + 3] && B[i + 1] < y + h) return false;
        }
      }
    }
    return true;
  }
  add(x: number, y: number, w: number, h: number): void {
    const i = this.boxes.length;
    this.boxes.push(x, y, x + w, y + h);
    const [c0, r0, c1, r1] = this.range(x, y, w, h);
    for (let r = r0; r <= r1; r++) {
      for (let c = c0; c <= c1; c++) {
        const key = r * 100003 + c;
        const list = this.cells.get(key);
        if (list) list.push(i); else this.cells.set(key, [i]);
      }
    }
  }
}

export class GraphView {
  readonly ctx: CanvasRenderingContext2D;
  /** the cached static layer and its context */
  private layer: HTMLCanvasElement;
  private g: CanvasRenderingContext2D;
  private layerKey = '';
  private version = 0;
  view: View = 'services';
  k = 1; tx = 0; ty = 0;
  private dpr = 1; private w = 0; private h = 0;
  private svc: ServiceLayout | null = null;
  private inst: InstanceLayout | null = null;
  private slots: Slots | null = null;
  private topoSeen = -1; private instSeen = -1;
  // service positions (current, tween source) and appearance time
  private sx = new Float64Array(0); private sy = new Float64Array(0);
  private sfx = new Float64Array(0); private sfy = new Float64Array(0);
  private sBorn = new Float64Array(0);
  private sr = new Float64Array(0);
  private sLvl = new Uint8Array(0);
  private noInst = new Uint8Array(0); // services without any instance in the topology
  // instance positions
  private ix = new Float32Array(0); private iy = new Float32Array(0);
  private ifx = new Float32Array(0); private ify = new Float32Array(0);
  private morphStart = -1e9;
  private ghosts: Ghost[] = [];
  private instGhosts: { x: Float32Array; y: Float32Array; t0: number } | null = null;
  // instance view: cluster-level edges (cluster A index, cluster B index, edge id)
  private cEdges = new Int32Array(0);
  // spatial grid of instances
  private gridHead = new Int32Array(0); private gridNext = new Int32Array(0);
  private gx0 = 0; private gy0 = 0; private gw = 1; private gh = 1;
  // buckets for drawing instances
  private bucket = new Uint16Array(0); private orderBuf = new Int32Array(0);
  private adj: Set<number>[] = [];
  private edgeP = new Float64Array(0);
  hover: Selection | null = null;
  private hl: Uint8Array | null = null; // highlighted services while hovering
  private frames: number[] = [];
  private fitPending = true;
  // labels: the boxes of the last static render, who had one (for stable choices), text widths
  private labelBoxes: LabelBox[] = [];
  private labelled = new Uint8Array(0);
  private textW = new Map<string, number>();
  private tiers: TierCol[] = [];
  // an animated move of the view (find): from, to, start time
  /** Until then (performance.now() ms) a wheel or drag is under way: labels wait for it to end. */
  private movingUntil = 0;
  private glide: { k0: number; tx0: number; ty0: number; k1: number; tx1: number; ty1: number; t0: number } | null = null;
  onHover: (sel: Selection | null, cx: number, cy: number) => void = () => {};
  onClick: (sel: Selection | null) => void = () => {};

  constructor(readonly canvas: HTMLCanvasElement, readonly store: Store) {
    const ctx = canvas.getContext('2d', { alpha: false });
    if (!ctx) throw new Error('no 2d canvas');
    this.ctx = ctx;
    this.layer = document.createElement('canvas');
    const g = this.layer.getContext('2d', { alpha: false });
    if (!g) throw new Error('no 2d canvas');
    this.g = g;
    const bump = () => { this.version++; };
    for (const ev of ['tick', 'instances', 'topology', 'select', 'meta'] as const) store.on(ev, bump);
    this.bindInput();
    const loop = (now: number) => {
      try { this.frame(now); } catch (e) { console.error('monkeyhouse: frame failed', e); }
      requestAnimationFrame(loop);
    };
    requestAnimationFrame(loop);
  }

  setView(v: View): void {
    if (v !== 'services' && v !== 'instances') return;
    if (v === this.view) return;
    this.view = v;
    this.hover = null; this.hl = null;
    this.fitPending = true;
  }

  fps(): number {
    const now = performance.now();
    while (this.frames.length && this.frames[0] < now - 1000) this.frames.shift();
    return this.frames.length;
  }

  /** Nodes of the current view as of now (not waiting for the next frame). */
  nodeCount(): number {
    const st = this.store;
    if (this.view === 'services') return st.topo.services.length;
    let n = 0;
    for (let i = 0; i < st.topo.instances.length; i++) n += st.alive[i];
    return n;
  }

  fit(): void { this.fitPending = true; }

  /**
   * Glide the view to centre a service or an instance, zooming in far enough to read it
   * (never out): in the services view rows get label height; in the instance view dots do.
   */
  focusOn(sel: Selection): void {
    const now = performance.now();
    this.resize();
    this.sync(now);
    if (this.fitPending) this.fitNow();
    const topo = this.store.topo;
    let wx = NaN, wy = NaN, k = this.k;
    if (this.view === 'services') {
      const s = sel.kind === 'service' ? sel.id : topo.instances[sel.id]?.service ?? -1;
      if (!this.svc || s < 0 || s >= topo.services.length) return;
      wx = this.svc.x[s]; wy = this.svc.y[s];
      k = Math.max(k, Math.min(1.2, 18 / this.svc.rowH));
    } else if (sel.kind === 'instance' && sel.id < topo.instances.length && this.ix[sel.id] === this.ix[sel.id]) {
      wx = this.ix[sel.id]; wy = this.iy[sel.id];
      k = Math.max(k, 2.5);
    } else if (sel.kind === 'service' && this.inst) {
      let x0 = Infinity, y0 = Infinity, x1 = -Infinity, y1 = -Infinity;
      for (const c of this.inst.clusters) {
        if (c.service !== sel.id) continue;
        x0 = Math.min(x0, c.x); y0 = Math.min(y0, c.y); x1 = Math.max(x1, c.x + c.w); y1 = Math.max(y1, c.y + c.h);
      }
      if (!isFinite(x0)) return;
      wx = (x0 + x1) / 2; wy = (y0 + y1) / 2;
      const fits = Math.min((this.w * 0.8) / (x1 - x0 + 40), (this.h * 0.8) / (y1 - y0 + 40));
      k = Math.max(k, Math.min(3, fits));
    }
    if (!(wx === wx) || !(wy === wy)) return;
    k = Math.min(12, k);
    this.glide = { k0: this.k, tx0: this.tx, ty0: this.ty, k1: k, tx1: this.w / 2 - wx * k, ty1: this.h / 2 - wy * k, t0: now };
  }

  private stepGlide(now: number): void {
    const g = this.glide;
    if (!g) return;
    const p = Math.min(1, (now - g.t0) / 450);
    const e = p * p * (3 - 2 * p);
    // zoom geometrically; keep the centre's path straight in world space
    this.k = g.k0 * Math.pow(g.k1 / g.k0, e);
    const cx0 = (this.w / 2 - g.tx0) / g.k0, cy0 = (this.h / 2 - g.ty0) / g.k0;
    const cx1 = (this.w / 2 - g.tx1) / g.k1, cy1 = (this.h / 2 - g.ty1) / g.k1;
    const cx = cx0 + (cx1 - cx0) * e, cy = cy0 + (cy1 - cy0) * e;
    this.tx = this.w / 2 - cx * this.k; this.ty = this.h / 2 - cy * this.k;
    if (p >= 1) this.glide = null;
  }

  /** CSS pixels relative to the viewport, or null. */
  positionOf(name: string): { x: number; y: number } | null {
    this.sync(performance.now());
    const st = this.store;
    const r = this.canvas.getBoundingClientRect();
    const toScreen = (x: number, y: number) => ({ x: r.left + x * this.k + this.tx, y: r.top + y * this.k + this.ty });
    const s = st.serviceByName.get(name);
    const i = st.instanceByName.get(name);
    if (this.view === 'services') {
      const sid = s ? s.id : i ? i.service : -1;
      if (sid < 0 || sid >= this.sx.length) return null;
      return toScreen(this.sx[sid], this.sy[sid]);
    }
    if (i && i.id < this.ix.length && st.alive[i.id]) return toScreen(this.ix[i.id], this.iy[i.id]);
    if (s && this.inst) {
      const c = this.inst.clusters.find((c) => c.service === s.id);
      if (c) return toScreen(c.x + c.w / 2, c.y + c.h / 2);
    }
    return null;
  }

  // ---------------------------------------------------------------- layout

  /** Bring layouts up to date with the store (topology and instance changes). */
  sync(now: number): void {
    const st = this.store;
    if (st.topoVersion !== this.topoSeen) {
      this.relayoutAll(now);
      this.topoSeen = st.topoVersion;
      this.instSeen = st.instVersion;
    } else if (st.instVersion !== this.instSeen) {
      this.instSeen = st.instVersion;
      this.updateInstances(now);
    }
  }

  private relayoutAll(now: number): void {
    const st = this.store, topo = st.topo;
    const ns = topo.services.length;
    const hadBefore = this.prevServiceNames.length > 0;
    // remember where named things were, for the morph
    const oldS = new Map<string, [number, number, number, number]>();
    if (this.svc) {
      const prev = this.prevServiceNames;
      for (let s = 0; s < prev.length; s++) oldS.set(prev[s], [this.sx[s], this.sy[s], this.sr[s], this.sLvl[s]]);
    }
    const oldI = new Map<string, [number, number]>();
    const prevInst = this.prevInstanceNames;
    for (let i = 0; i < prevInst.length; i++) if (prevInst[i] !== '') oldI.set(prevInst[i], [this.ix[i], this.iy[i]]);

    this.svc = layoutServices(topo, this.aspect());
    this.tiers = tierColumns(topo, this.svc);
    this.labelled = new Uint8Array(ns);
    this.adj = topo.services.map(() => new Set<number>());
    for (const e of topo.edges) { this.adj[e.source].add(e.target); this.adj[e.target].add(e.source); }
    this.sx = new Float64Array(ns); this.sy = new Float64Array(ns);
    this.sfx = new Float64Array(ns); this.sfy = new Float64Array(ns);
    this.sBorn = new Float64Array(ns).fill(-1e9);
    this.sr = new Float64Array(ns).fill(5); this.sLvl = new Uint8Array(ns);
    this.ghosts = [];
    const names = new Set<string>();
    for (const s of topo.services) {
      names.add(s.name);
      const o = oldS.get(s.name);
      this.sfx[s.id] = o ? o[0] : this.svc.x[s.id];
      this.sfy[s.id] = o ? o[1] : this.svc.y[s.id];
      if (!o && hadBefore) this.sBorn[s.id] = now;
    }
    for (const [name, o] of oldS) if (!names.has(name)) this.ghosts.push({ x: o[0], y: o[1], r: o[2], lvl: o[3], name, t0: now });
    this.prevServiceNames = topo.services.map((s) => s.name);
    this.noInst = new Uint8Array(ns).fill(1);
    for (const i of topo.instances) this.noInst[i.service] = 0;

    this.slots = new Slots(ns, layoutZones(topo));
    this.slots.update(topo.instances);
    this.inst = layoutInstances(topo, this.slots, this.svc, this.aspect());
    const n = topo.instances.length;
    this.ix = new Float32Array(Math.max(16, n * 2)); this.iy = new Float32Array(this.ix.length);
    this.ifx = new Float32Array(this.ix.length); this.ify = new Float32Array(this.ix.length);
    this.placeInstances();
    const newNames = new Set<string>();
    for (const inst of topo.instances) {
      newNames.add(inst.name);
      const o = oldI.get(inst.name);
      if (o) { this.ifx[inst.id] = o[0]; this.ify[inst.id] = o[1]; }
      else {
        this.ifx[inst.id] = this.ix[inst.id]; this.ify[inst.id] = this.iy[inst.id];
        if (hadBefore && st.alive[inst.id]) { st.changedAt[inst.id] = now; st.lastInstChange = now; }
      }
    }
    const gx: number[] = [], gy: number[] = [];
    for (const [name, o] of oldI) if (!newNames.has(name)) { gx.push(o[0]); gy.push(o[1]); }
    this.instGhosts = gx.length ? { x: Float32Array.from(gx), y: Float32Array.from(gy), t0: now } : null;
    this.prevInstanceNames = topo.instances.map((i) => i.name);
    this.morphStart = hadBefore ? now : -1e9;
    if (!hadBefore) this.fitPending = true;
  }
  private prevServiceNames: string[] = [];
  private prevInstanceNames: string[] = [];

  private updateInstances(now: number): void {
    const st = this.store, topo = st.topo;
    if (!this.slots || !this.svc) return;
    const n = topo.instances.length;
    const grew = this.slots.update(topo.instances);
    if (this.ix.length < n) {
      const grow = (a: Float32Array) => { const b = new Float32Array(n * 2); b.set(a); return b; };
      this.ix = grow(this.ix); this.iy = grow(this.iy); this.ifx = grow(this.ifx); this.ify = grow(this.ify);
    }
    if (grew) {
      // clusters moved: tween everything from where it is now
      this.freezeCurrent(now);
      this.inst = layoutInstances(topo, this.slots, this.svc, this.aspect());
      this.placeInstances();
      for (let i = this.prevInstanceNames.length; i < n; i++) { this.ifx[i] = this.ix[i]; this.ify[i] = this.iy[i]; }
      this.morphStart = now;
    } else {
      this.placeInstances(this.prevInstanceNames.length);
      for (let i = this.prevInstanceNames.length; i < n; i++) { this.ifx[i] = this.ix[i]; this.ify[i] = this.iy[i]; }
    }
    for (let i = this.prevInstanceNames.length; i < n; i++) {
      this.prevInstanceNames.push(topo.instances[i].name);
      this.noInst[topo.instances[i].service] = 0;
    }
  }

  private freezeCurrent(now: number): void {
    const p = this.morphProgress(now);
    if (p >= 1) {
      this.ifx.set(this.ix); this.ify.set(this.iy);
      return;
    }
    for (let i = 0; i < this.ix.length; i++) {
      this.ifx[i] = this.ifx[i] + (this.ix[i] - this.ifx[i]) * p;
      this.ify[i] = this.ify[i] + (this.iy[i] - this.ify[i]) * p;
    }
  }

  private placeInstances(from = 0): void {
    const topo = this.store.topo, L = this.inst, S = this.slots;
    if (!L || !S) return;
    const n = topo.instances.length;
    for (let i = from; i < n; i++) {
      const inst = topo.instances[i];
      const c = L.byKey.get(S.keyOf(inst));
      const slot = S.slot[i];
      if (!c || slot < 0) { this.ix[i] = NaN; this.iy[i] = NaN; continue; }
      this.ix[i] = c.x + (slot % c.cols) * DOT + DOT / 2;
      this.iy[i] = c.y + Math.floor(slot / c.cols) * DOT + DOT / 2;
    }
    // cluster-level edges within each zone; a service that has no cluster in the zone is
    // reached in its region's region-wide box, else in the world-wide box
    const ce: number[] = [];
    const idx = new Map<number, number>();
    L.clusters.forEach((c, i) => idx.set(c.key, i));
    const ns = topo.services.length;
    const zones = layoutZones(topo);
    const zi = (k: string) => S.zoneIndexOf(k);
    const seen = new Set<string>();
    for (const e of topo.edges) {
      if (e.source === e.target) continue;
      for (const z of zones) {
        const own = zi(z);
        if (own === undefined) continue;
        const region = z.includes('/') ? z.slice(0, z.indexOf('/')) : z;
        const chain = [own, zi(`${region}/*`), zi('*/*')];
        const find = (svc: number) => {
          for (const c of chain) if (c !== undefined) { const i = idx.get(c * ns + svc); if (i !== undefined) return i; }
          return undefined;
        };
        const ownA = idx.get(own * ns + e.source), ownB = idx.get(own * ns + e.target);
        if (ownA === undefined && ownB === undefined) continue;
        const a = ownA ?? find(e.source), b = ownB ?? find(e.target);
        if (a === undefined || b === undefined) continue;
        const key = `${a},${b}`;
        if (seen.has(key)) continue;
        seen.add(key);
        ce.push(a, b, e.id);
      }
    }
    this.cEdges = Int32Array.from(ce);
    this.buildGrid();
  }

  private buildGrid(): void {
    const L = this.inst;
    if (!L) return;
    this.gx0 = L.minX - CELL; this.gy0 = L.minY - CELL;
    this.gw = Math.max(1, Math.ceil((L.maxX - L.minX) / CELL) + 3);
    this.gh = Math.max(1, Math.ceil((L.maxY - L.minY) / CELL) + 3);
    this.gridHead = new Int32Array(this.gw * this.gh).fill(-1);
    const n = this.store.topo.instances.length;
    this.gridNext = new Int32Array(Math.max(1, n));
    for (let i = 0; i < n; i++) {
      const x = this.ix[i], y = this.iy[i];
      if (!(x === x)) continue;
      const c = this.cellOf(x, y);
      if (c < 0) continue;
      this.gridNext[i] = this.gridHead[c];
      this.gridHead[c] = i;
    }
  }

  private cellOf(x: number, y: number): number {
    const cx = Math.floor((x - this.gx0) / CELL), cy = Math.floor((y - this.gy0) / CELL);
    if (cx < 0 || cy < 0 || cx >= this.gw || cy >= this.gh) return -1;
    return cy * this.gw + cx;
  }

  private aspect(): number {
    const r = this.canvas.getBoundingClientRect();
    return r.width > 50 && r.height > 50 ? r.width / r.height : 1.9;
  }

  private morphProgress(now: number): number {
    const p = (now - this.morphStart) / MORPH;
    return p >= 1 ? 1 : p <= 0 ? 0 : p;
  }

  // ---------------------------------------------------------------- input

  private bindInput(): void {
    const c = this.canvas;
    let down: { x: number; y: number; tx: number; ty: number; moved: boolean } | null = null;
    c.addEventListener('wheel', (ev) => {
      ev.preventDefault();
      this.glide = null;
      const r = c.getBoundingClientRect();
      const mx = ev.clientX - r.left, my = ev.clientY - r.top;
      const f = Math.exp(-ev.deltaY * (ev.deltaMode === 1 ? 0.05 : 0.0015));
      this.movingUntil = performance.now() + MOTION_SETTLE;
      this.zoomAt(mx, my, f);
    }, { passive: false });
    c.addEventListener('pointerdown', (ev) => {
      this.glide = null;
      down = { x: ev.clientX, y: ev.clientY, tx: this.tx, ty: this.ty, moved: false };
      c.setPointerCapture(ev.pointerId);
    });
    c.addEventListener('pointermove', (ev) => {
      const r = c.getBoundingClientRect();
      if (down) {
        const dx = ev.clientX - down.x, dy = ev.clientY - down.y;
        if (Math.abs(dx) + Math.abs(dy) > 3) down.moved = true;
        if (down.moved) {
          this.tx = down.tx + dx; this.ty = down.ty + dy; c.style.cursor = 'grabbing';
          this.movingUntil = performance.now() + MOTION_SETTLE;
          return;
        }
      }
      const hit = this.hitTest(ev.clientX - r.left, ev.clientY - r.top);
      this.setHover(hit);
      this.onHover(hit, ev.clientX, ev.clientY);
      c.style.cursor = hit ? 'pointer' : 'default';
    });
    c.addEventListener('pointerup', (ev) => {
      const r = c.getBoundingClientRect();
      if (down && !down.moved) this.onClick(this.hitTest(ev.clientX - r.left, ev.clientY - r.top));
      down = null;
      c.style.cursor = 'default';
    });
    c.addEventListener('pointerleave', () => { this.setHover(null); this.onHover(null, 0, 0); });
    c.addEventListener('dblclick', () => this.fit());
  }

  zoomAt(mx: number, my: number, f: number): void {
    const k = Math.max(0.01, Math.min(12, this.k * f));
    const wx = (mx - this.tx) / this.k, wy = (my - this.ty) / this.k;
    this.k = k;
    this.tx = mx - wx * k;
    this.ty = my - wy * k;
  }

  private setHover(h: Selection | null): void {
    const same = h && this.hover && h.kind === this.hover.kind && h.id === this.hover.id;
    if (same || (!h && !this.hover)) return;
    this.hover = h;
    this.hl = this.neighbourhood(h);
  }

  private neighbourhood(h: Selection | null): Uint8Array | null {
    if (!h) return null;
    const topo = this.store.topo;
    const s = h.kind === 'service' ? h.id : topo.instances[h.id]?.service;
    if (s === undefined || s < 0 || s >= topo.services.length) return null;
    const m = new Uint8Array(topo.services.length);
    m[s] = 2;
    for (const n of this.adj[s] ?? []) if (!m[n]) m[n] = 1;
    return m;
  }

  hitTest(mx: number, my: number): Selection | null {
    const wx = (mx - this.tx) / this.k, wy = (my - this.ty) / this.k;
    const st = this.store;
    if (this.view === 'services') {
      let best = -1, bd = Infinity;
      for (let s = 0; s < this.sx.length; s++) {
        const dx = this.sx[s] - wx, dy = this.sy[s] - wy;
        const d = dx * dx + dy * dy;
        const rr = this.sr[s] + 4 / this.k;
        if (d < rr * rr && d < bd) { bd = d; best = s; }
      }
      return best >= 0 ? { kind: 'service', id: best } : null;
    }
    const rad = Math.max(DOT * 0.8, 5 / this.k);
    let best = -1, bd = rad * rad;
    const c0x = Math.floor((wx - rad - this.gx0) / CELL), c1x = Math.floor((wx + rad - this.gx0) / CELL);
    const c0y = Math.floor((wy - rad - this.gy0) / CELL), c1y = Math.floor((wy + rad - this.gy0) / CELL);
    for (let cy = Math.max(0, c0y); cy <= Math.min(this.gh - 1, c1y); cy++) {
      for (let cx = Math.max(0, c0x); cx <= Math.min(this.gw - 1, c1x); cx++) {
        for (let i = this.gridHead[cy * this.gw + cx]; i >= 0; i = this.gridNext[i]) {
          if (!st.alive[i]) continue;
          const dx = this.ix[i] - wx, dy = this.iy[i] - wy;
          const d = dx * dx + dy * dy;
          if (d <= bd) { bd = d; best = i; }
        }
      }
    }
    if (best >= 0) return { kind: 'instance', id: best };
    // a click on a cluster's label area selects its service
    for (const c of this.inst?.clusters ?? []) {
      if (wx >= c.x - 2 && wx <= c.x + c.w + 2 && wy >= c.y - 2 && wy <= c.y + c.h + 12) return { kind: 'service', id: c.service };
    }
    return null;
  }

  private fitNow(): void {
    const b = this.view === 'services' ? this.svc : this.inst;
    if (!b || this.w === 0) return;
    const services = this.view === 'services';
    const padR = services ? 140 : 0;
    const head = services ? HEAD_H : 0; // the tier headers sit above the graph
    const bw = b.maxX - b.minX + 80 + padR, bh = b.maxY - b.minY + 80;
    this.k = Math.max(0.02, Math.min(2.2, Math.min(this.w / bw, (this.h - head) / bh)));
    this.tx = this.w / 2 - ((b.minX + b.maxX + padR) / 2) * this.k;
    this.ty = head + (this.h - head) / 2 - ((b.minY + b.maxY) / 2) * this.k;
    this.fitPending = false;
    this.glide = null;
  }

  // ---------------------------------------------------------------- drawing

  private resize(): void {
    const r = this.canvas.getBoundingClientRect();
    const dpr = Math.min(2, window.devicePixelRatio || 1);
    const w = Math.max(1, Math.round(r.width)), h = Math.max(1, Math.round(r.height));
    if (w !== this.w || h !== this.h || dpr !== this.dpr) {
      this.w = w; this.h = h; this.dpr = dpr;
      this.canvas.width = Math.round(w * dpr);
      this.canvas.height = Math.round(h * dpr);
    }
  }

  frame(now: number): void {
    this.frames.push(now);
    if (this.frames.length > 400) this.frames.splice(0, 200);
    while (this.frames.length && this.frames[0] < now - 1000) this.frames.shift();
    this.resize();
    this.sync(now);
    if (this.fitPending) this.fitNow();
    this.stepGlide(now);
    const ctx = this.ctx;
    if (!this.store.topo.services.length) {
      ctx.setTransform(this.dpr, 0, 0, this.dpr, 0, 0);
      ctx.globalAlpha = 1;
      ctx.fillStyle = BG;
      ctx.fillRect(0, 0, this.w, this.h);
      ctx.fillStyle = '#6e7681';
      ctx.font = '14px system-ui, sans-serif';
      ctx.textAlign = 'center';
      ctx.fillText(this.store.mode === 'connecting' ? 'connecting…' : 'no services', this.w / 2, this.h / 2);
      ctx.textAlign = 'left';
      return;
    }
    const services = this.view === 'services';
    if (services) this.prepareServices(now);
    // The static picture (edges, nodes, labels) is redrawn only when something in it
    // changed; every frame copies it and draws the moving traffic dots on top.
    const sel = this.store.selection;
    const key = `${this.view}|${this.k}|${this.tx}|${this.ty}|${this.w}|${this.h}|${this.dpr}|${this.version}|` +
      `${this.hover?.kind}:${this.hover?.id}|${sel?.kind}:${sel?.id}|${now < this.movingUntil}`;
    if (key !== this.layerKey || this.animating(now)) {
      this.layerKey = key;
      const L = this.layer;
      if (L.width !== this.canvas.width || L.height !== this.canvas.height) { L.width = this.canvas.width; L.height = this.canvas.height; }
      const g = this.g;
      g.setTransform(this.dpr, 0, 0, this.dpr, 0, 0);
      g.globalAlpha = 1;
      g.fillStyle = BG;
      g.fillRect(0, 0, this.w, this.h);
      if (services) this.drawServices(now);
      else this.drawInstances(now);
    }
    ctx.setTransform(1, 0, 0, 1, 0, 0);
    ctx.globalAlpha = 1;
    ctx.drawImage(this.layer, 0, 0);
    if (services) this.drawServiceDots(now);
    else this.drawInstanceDots(now);
  }

  private animating(now: number): boolean {
    if (now - this.morphStart < MORPH) return true;
    if (this.view === 'services') {
      if (this.ghosts.length) return true;
      for (let s = 0; s < this.sBorn.length; s++) if (now - this.sBorn[s] < FADE_IN) return true;
      return false;
    }
    return !!this.instGhosts || now - this.store.lastInstChange < FADE_OUT + 20;
  }

  private updateServicePositions(now: number): void {
    const L = this.svc!;
    const p = this.morphProgress(now);
    const e = p >= 1 ? 1 : p * p * (3 - 2 * p);
    const st = this.store;
    const rowCap = L.rowH * 0.42;
    for (let s = 0; s < this.sx.length; s++) {
      this.sx[s] = this.sfx[s] + (L.x[s] - this.sfx[s]) * e;
      this.sy[s] = this.sfy[s] + (L.y[s] - this.sfy[s]) * e;
      this.sr[s] = Math.min(rowCap, 4 + 2.6 * Math.log10(1 + st.rate[s]));
      const hasInst = st.svcLive[s] > 0 || this.noInst[s] === 1;
      this.sLvl[s] = hasInst ? healthLevel(st.errorShare(s)) : DEAD;
    }
  }

  private prepareServices(now: number): void {
    const topo = this.store.topo;
    const ne = topo.edges.length;
    this.updateServicePositions(now);
    // edge geometry: cubic béziers, forward edges left→right, others loop to the right
    if (this.edgeP.length < ne * 8) this.edgeP = new Float64Array(ne * 8);
    const P = this.edgeP;
    for (const ed of topo.edges) {
      const a = ed.source, b = ed.target, o = ed.id * 8;
      const x1 = this.sx[a], y1 = this.sy[a], x2 = this.sx[b], y2 = this.sy[b];
      if (a === b) {
        const r = this.sr[a];
        P[o] = x1 + r * 0.7; P[o + 1] = y1 - r * 0.7; P[o + 2] = x1 + r + 26; P[o + 3] = y1 - r - 30;
        P[o + 4] = x1 - r - 26; P[o + 5] = y1 - r - 30; P[o + 6] = x1 - r * 0.7; P[o + 7] = y1 - r * 0.7;
      } else if (x2 > x1 + 20) {
        const sx = x1 + this.sr[a], ex = x2 - this.sr[b], dx = (ex - sx) * 0.5;
        P[o] = sx; P[o + 1] = y1; P[o + 2] = sx + dx; P[o + 3] = y1; P[o + 4] = ex - dx; P[o + 5] = y2; P[o + 6] = ex; P[o + 7] = y2;
      } else {
        const bend = 60 + Math.abs(y2 - y1) * 0.25;
        P[o] = x1 + this.sr[a]; P[o + 1] = y1; P[o + 2] = x1 + bend; P[o + 3] = y1;
        P[o + 4] = x2 + bend; P[o + 5] = y2; P[o + 6] = x2 + this.sr[b]; P[o + 7] = y2;
      }
    }
  }

  private drawServiceDots(now: number): void {
    const ctx = this.ctx, st = this.store, topo = st.topo;
    const k = this.k, hl = this.hl, P = this.edgeP, ne = topo.edges.length;
    ctx.setTransform(this.dpr * k, 0, 0, this.dpr * k, this.dpr * this.tx, this.dpr * this.ty);
    const eDim = (e: number) => !!hl && !(hl[topo.edges[e].source] === 2 || hl[topo.edges[e].target] === 2);
    // a budget of dots per frame, shared by the edges
    let want = 0;
    for (let e = 0; e < ne; e++) if (st.edgeOn[e] && st.edgeRate[e] > 0) want += Math.min(8, Math.max(1, Math.ceil(Math.log2(1 + st.edgeRate[e]) / 1.4)));
    const scale = Math.min(1, 2500 / Math.max(1, want));
    const vx0 = -this.tx / k, vy0 = -this.ty / k, vx1 = (this.w - this.tx) / k, vy1 = (this.h - this.ty) / k;
    // traffic dots
    ctx.globalAlpha = 1;
    const ds = Math.max(2.2, Math.min(4, 3 * Math.sqrt(k))) / k;
    const time = now / 1000;
    for (let red = 0; red < 2; red++) {
      ctx.fillStyle = DOT_COL[red];
      for (let e = 0; e < ne; e++) {
        const r = st.edgeRate[e];
        if (!st.edgeOn[e] || !(r > 0) || eDim(e)) continue;
        const o0 = e * 8;
        if (Math.max(P[o0], P[o0 + 6]) + 80 < vx0 || Math.min(P[o0], P[o0 + 6]) - 80 > vx1 || Math.max(P[o0 + 1], P[o0 + 7]) + 40 < vy0 || Math.min(P[o0 + 1], P[o0 + 7]) - 40 > vy1) continue;
        const n = Math.max(1, Math.round(scale * Math.min(8, Math.max(1, Math.ceil(Math.log2(1 + r) / 1.4)))));
        const share = st.edgeErr[e] / r;
        const nRed = share > 0 ? Math.max(1, Math.round(n * Math.min(1, share))) : 0;
        const speed = 0.12 + 0.09 * Math.log10(1 + r);
        const o = e * 8;
        for (let i = red ? 0 : nRed; i < (red ? nRed : n); i++) {
          let u = time * speed + i / n + e * 0.618;
          u -= Math.floor(u);
          const v = 1 - u;
          const a = v * v * v, bb = 3 * v * v * u, c = 3 * v * u * u, d = u * u * u;
          const x = a * P[o] + bb * P[o + 2] + c * P[o + 4] + d * P[o + 6];
          const y = a * P[o + 1] + bb * P[o + 3] + c * P[o + 5] + d * P[o + 7];
          ctx.fillRect(x - ds / 2, y - ds / 2, ds, ds);
        }
      }
    }
  }

  private drawServices(now: number): void {
    const ctx = this.g, st = this.store, topo = st.topo;
    const k = this.k;
    const ns = topo.services.length, ne = topo.edges.length;
    const P = this.edgeP;
    const salpha = (s: number) => Math.min(1, (now - this.sBorn[s]) / FADE_IN);
    ctx.setTransform(this.dpr * k, 0, 0, this.dpr * k, this.dpr * this.tx, this.dpr * this.ty);
    const hl = this.hl;
    const eBucket = (e: number) => {
      const r = st.edgeRate[e];
      const share = r > 0 ? st.edgeErr[e] / r : 0;
      return share > 0.1 ? 2 : share > 0.01 ? 1 : 0;
    };
    // Edges in three classes: dimmed (another node is hovered), plain, and in focus (they
    // touch the hovered or the selected service). Many plain edges are drawn fainter, so the
    // focused ones stand out of a large estate.
    const sel = st.selection;
    const selS = sel ? (sel.kind === 'service' ? sel.id : topo.instances[sel.id]?.service ?? -1) : -1;
    const eClass = (e: number) => {
      const a = topo.edges[e].source, b = topo.edges[e].target;
      if (a === selS || b === selS || (hl && (hl[a] === 2 || hl[b] === 2))) return 2;
      return hl ? 0 : 1;
    };
    const plainAlpha = ne > 300 ? Math.max(0.1, 0.6 * Math.pow(300 / ne, 0.8)) : 0.6;
    // while a zoom or pan of a large graph is under way, edges are straight: stroking a
    // thousand curves costs more than a frame in software; the curves return when it settles
    const straight = ne > 300 && now < this.movingUntil;
    for (let cls = 0; cls < 3; cls++) {
      for (let b = 0; b < 3; b++) {
        ctx.beginPath();
        let any = false;
        for (let e = 0; e < ne; e++) {
          if (!st.edgeOn[e] || eBucket(e) !== b || eClass(e) !== cls) continue;
          const o = e * 8;
          ctx.moveTo(P[o], P[o + 1]);
          if (straight) ctx.lineTo(P[o + 6], P[o + 7]);
          else ctx.bezierCurveTo(P[o + 2], P[o + 3], P[o + 4], P[o + 5], P[o + 6], P[o + 7]);
          any = true;
        }
        if (!any) continue;
        ctx.globalAlpha = cls === 0 ? 0.07 : cls === 2 ? 0.95 : plainAlpha;
        ctx.strokeStyle = EDGE_COL[b];
        ctx.lineWidth = (b ? 1.8 : 1.1) / k * (cls === 2 ? 1.6 : 1);
        ctx.stroke();
      }
    }
    // nodes, one path per colour and dim state
    let fading = false;
    for (let dim = 1; dim >= 0; dim--) {
      for (let lvl = 0; lvl < NCOL; lvl++) {
        ctx.beginPath();
        let any = false;
        for (let s = 0; s < ns; s++) {
          if (this.sLvl[s] !== lvl || (hl ? +(hl[s] === 0) : 0) !== dim) continue;
          if (salpha(s) < 1) { fading = true; continue; }
          const r = this.sr[s];
          ctx.moveTo(this.sx[s] + r, this.sy[s]);
          ctx.arc(this.sx[s], this.sy[s], r, 0, Math.PI * 2);
          any = true;
        }
        if (!any) continue;
        ctx.globalAlpha = dim ? 0.18 : 1;
        ctx.fillStyle = colorOf(lvl);
        ctx.fill();
      }
    }
    if (fading) {
      for (let s = 0; s < ns; s++) {
        const a = salpha(s);
        if (a >= 1) continue;
        ctx.globalAlpha = Math.max(0, a);
        ctx.fillStyle = colorOf(this.sLvl[s]);
        ctx.beginPath(); ctx.arc(this.sx[s], this.sy[s], this.sr[s], 0, Math.PI * 2); ctx.fill();
      }
    }
    this.ghosts = this.ghosts.filter((g) => now - g.t0 < FADE_OUT);
    for (const g of this.ghosts) {
      ctx.globalAlpha = 1 - (now - g.t0) / FADE_OUT;
      ctx.fillStyle = colorOf(g.lvl);
      ctx.beginPath(); ctx.arc(g.x, g.y, g.r, 0, Math.PI * 2); ctx.fill();
    }
    // rings: open breakers (red), selection (white), hover
    ctx.globalAlpha = 1;
    ctx.beginPath();
    let anyRing = false;
    for (let s = 0; s < ns; s++) {
      if (!(st.breakerOpen[s] > 0)) continue;
      const r = this.sr[s] + 3.5 / k;
      ctx.moveTo(this.sx[s] + r, this.sy[s]);
      ctx.arc(this.sx[s], this.sy[s], r, 0, Math.PI * 2);
      anyRing = true;
    }
    if (anyRing) { ctx.strokeStyle = '#ff4d4f'; ctx.lineWidth = 2.5 / k; ctx.stroke(); }
    const ring = (s: number, col: string) => {
      ctx.beginPath(); ctx.arc(this.sx[s], this.sy[s], this.sr[s] + 6.5 / k, 0, Math.PI * 2);
      ctx.strokeStyle = col; ctx.lineWidth = 1.6 / k; ctx.stroke();
    };
    if (selS >= 0 && selS < ns) ring(selS, '#ffffff');
    if (this.hover && this.hover.kind === 'service') ring(this.hover.id, '#8b949e');
    // tier headers and labels in screen space
    ctx.setTransform(this.dpr, 0, 0, this.dpr, 0, 0);
    ctx.globalAlpha = 1;
    const grid = new CollisionGrid();
    this.drawTierHeaders(grid);
    this.drawServiceLabels(grid, selS);
  }

  /** "tier k · n services" above each tier column (sticky at the top when scrolled down). */
  private drawTierHeaders(grid: CollisionGrid): void {
    const ctx = this.g, L = this.svc!, k = this.k;
    if (!this.tiers.length) return;
    const top = Math.max(4, L.minY * k + this.ty - HEAD_H + 2);
    if (top > this.h) return;
    ctx.font = HEAD_FONT;
    ctx.textBaseline = 'top';
    const rowY = [top + 13, top]; // row 0 next to the graph; row 1 above it for crowded columns
    const end = [-Infinity, -Infinity];
    const gapPx = (TIER_GAP - 60) * k;
    ctx.beginPath();
    const placed: [string, number, number][] = [];
    const T = this.tiers;
    T.forEach((t, i) => {
      const x = t.x0 * k + this.tx - 4;
      const x1 = Math.max(t.x1 * k + this.tx + Math.min(gapPx, 70), x + 24);
      if (x1 < 0 || x > this.w) return;
      // a header ends before the next column (row 0) or the one after it (row 1); the
      // longest text that fits wins, else the short one, else just the tier's number
      const limit = [T[i + 1] ? T[i + 1].x0 * k + this.tx - 10 : Infinity, T[i + 2] ? T[i + 2].x0 * k + this.tx - 10 : Infinity];
      let done = false;
      for (const text of [t.full, t.short, String(t.tier)]) {
        const w = this.measure(text, HEAD_FONT);
        for (let row = 0; row < 2 && !done; row++) {
          if (x < end[row] + 8 || (x + w > limit[row] && text !== String(t.tier))) continue;
          end[row] = x + w;
          placed.push([text, x, rowY[row]]);
          grid.add(x - 2, rowY[row] - 1, w + 4, 14);
          done = true;
        }
        if (done) break;
      }
      // a rule under the column's header
      ctx.moveTo(x, top + 28.5);
      ctx.lineTo(x1, top + 28.5);
    });
    ctx.strokeStyle = '#30363d'; ctx.lineWidth = 1; ctx.stroke();
    ctx.lineJoin = 'round'; ctx.lineWidth = 3; ctx.strokeStyle = BG;
    ctx.fillStyle = '#8b949e';
    for (const [text, x, y] of placed) { ctx.strokeText(text, x, y); ctx.fillText(text, x, y); }
    ctx.textBaseline = 'alphabetic';
  }

  /**
   * Greedy labels: the selected and the hovered service and the hovered one's neighbours
   * always; then, by traffic (in half-octave steps, a label kept from the last picture a step
   * ahead, so labels do not flicker as rates wobble) and then by tier from the front door,
   * every other service whose label fits beside it without touching a label already placed.
   */
  private drawServiceLabels(grid: CollisionGrid, selS: number): void {
    const ctx = this.g, st = this.store, topo = st.topo, L = this.svc!, k = this.k, hl = this.hl;
    const ns = topo.services.length;
    const rowPx = L.rowH * k;
    const showAll = rowPx >= 13;
    const second = rowPx >= 36;
    const h = second ? LABEL_H * 2 : LABEL_H;
    const prio = new Float64Array(ns);
    const cand: number[] = [];
    for (let s = 0; s < ns; s++) {
      const px = this.sx[s] * k + this.tx, py = this.sy[s] * k + this.ty;
      if (px < -4 || px > this.w + 4 || py < -4 || py > this.h + 4) continue;
      const forced = s === selS || (hl !== null && hl[s] > 0);
      const near = selS >= 0 && this.adj[selS]?.has(s);
      const step = Math.round(Math.log2(1 + st.rate[s]) * 2) + (this.labelled[s] ? 1 : 0);
      prio[s] = (forced ? 4e6 : 0) + (near ? 2e6 : 0) + step * 1000 - topo.services[s].tier;
      cand.push(s);
    }
    cand.sort((a, b) => prio[b] - prio[a] || a - b);
    // while a zoom or pan is under way only the forced labels are placed (placing them all
    // costs more than a frame at 500 services); the rest come back when the motion settles
    const quick = performance.now() < this.movingUntil;
    if (this.labelled.length !== ns) this.labelled = new Uint8Array(ns);
    if (!quick) this.labelled.fill(0);
    const boxes: LabelBox[] = [];
    const draw: [number, string, number, number, boolean][] = [];
    ctx.font = LABEL_FONT;
    const PAD = 2;
    for (const s of cand) {
      const forced = prio[s] >= 4e6;
      if (quick && !forced) continue;
      const px = this.sx[s] * k + this.tx, py = this.sy[s] * k + this.ty;
      const rpx = this.sr[s] * k;
      let name = topo.services[s].name;
      // zoomed in, as much as the room to the next column holds (at least the low-zoom cut)
      const maxChars = forced ? 48 : showAll ? Math.max(LOW_ZOOM_CHARS, Math.floor((L.labelRoom * k - rpx) / 6.3)) : LOW_ZOOM_CHARS;
      if (name.length > maxChars) name = name.slice(0, maxChars - 1) + '…';
      let w = this.measure(name, LABEL_FONT);
      if (second) w = Math.max(w, this.measure(this.statsLine(s), LABEL_FONT));
      // beside the node on the right, on the left, above, below
      const spots: [number, number][] = [
        [px + rpx + 4, py - h / 2], [px - rpx - 4 - w, py - h / 2],
        [px - w / 2, py - rpx - 2 - h], [px - w / 2, py + rpx + 2],
      ];
      let at: [number, number] | null = null;
      for (const [x, y] of spots) {
        if (!forced && (x < 0 || y < 0 || x + w > this.w || y + h > this.h)) continue;
        if (grid.free(x - PAD, y, w + 2 * PAD, h)) { at = [x, y]; break; }
      }
      if (!at) {
        if (!forced) continue;
        at = spots[0];
      }
      grid.add(at[0] - PAD, at[1], w + 2 * PAD, h);
      this.labelled[s] = 1;
      boxes.push({ name: topo.services[s].name, x: at[0], y: at[1], w, h });
      draw.push([s, name, at[0], at[1], forced]);
    }
    this.labelBoxes = boxes;
    // a dark halo under each text keeps it legible over edges and dots
    ctx.textBaseline = 'middle';
    ctx.lineJoin = 'round';
    ctx.lineWidth = 3;
    ctx.strokeStyle = BG;
    for (const [s, name, x, y, forced] of draw) {
      const dim = hl !== null && hl[s] === 0;
      const y0 = y + LABEL_H / 2;
      ctx.globalAlpha = dim ? 0.4 : 0.85;
      ctx.strokeText(name, x, y0);
      ctx.globalAlpha = 1;
      ctx.fillStyle = dim ? 'rgba(201,209,217,0.3)' : forced && s === selS ? '#ffffff' : '#c9d1d9';
      ctx.fillText(name, x, y0);
      if (second) {
        const line = this.statsLine(s);
        ctx.globalAlpha = dim ? 0.4 : 0.85;
        ctx.strokeText(line, x, y0 + LABEL_H);
        ctx.globalAlpha = 1;
        ctx.fillStyle = dim ? 'rgba(139,148,158,0.3)' : '#8b949e';
        ctx.fillText(line, x, y0 + LABEL_H);
      }
    }
    ctx.textBaseline = 'alphabetic';
  }

  private statsLine(s: number): string {
    const st = this.store;
    return `${fmtRate(st.rate[s])}/s · ${fmtPct(st.errorShare(s))} · ${st.svcLive[s]} up`;
  }

  /** A text's width in CSS px in a font (cached: names repeat every render). */
  private measure(text: string, font: string): number {
    const key = font + '\u0000' + text;
    let w = this.textW.get(key);
    if (w === undefined) {
      if (this.textW.size > 20000) this.textW.clear();
      const ctx = this.g;
      const was = ctx.font;
      ctx.font = font;
      w = ctx.measureText(text).width;
      ctx.font = was;
      this.textW.set(key, w);
    }
    return w;
  }

  /** The labels drawn in the last static render of the services view (viewport CSS px). */
  labels(): LabelBox[] {
    const r = this.canvas.getBoundingClientRect();
    if (this.view !== 'services') return [];
    return this.labelBoxes.map((b) => ({ name: b.name, x: r.left + b.x, y: r.top + b.y, w: b.w, h: b.h }));
  }

  private drawInstanceDots(now: number): void {
    const ctx = this.ctx, st = this.store, topo = st.topo, L = this.inst!;
    const k = this.k, hl = this.hl, cl = L.clusters, CE = this.cEdges;
    ctx.setTransform(this.dpr * k, 0, 0, this.dpr * k, this.dpr * this.tx, this.dpr * this.ty);
    const vx0 = -this.tx / k, vy0 = -this.ty / k, vx1 = (this.w - this.tx) / k, vy1 = (this.h - this.ty) / k;
    // traffic dots along those edges (fewer than in the services view)
    const ds = Math.max(2, Math.min(3.5, 2.5 * Math.sqrt(k))) / k;
    const time = now / 1000;
    ctx.globalAlpha = 0.9;
    // busy pictures get fewer dots: a budget shared by the visible edges
    let nVis = 0;
    for (let j = 0; j < CE.length; j += 3) if (st.edgeRate[CE[j + 2]] > 0) nVis++;
    const budget = hl ? 4 : Math.max(1, Math.min(4, Math.floor(900 / Math.max(1, nVis))));
    const skip = nVis > 900 && !hl ? Math.ceil(nVis / 900) : 1;
    for (let red = 0; red < 2; red++) {
      ctx.fillStyle = DOT_COL[red];
      for (let j = 0; j < CE.length; j += 3) {
        const e = CE[j + 2];
        const r = st.edgeRate[e];
        if (!st.edgeOn[e] || !(r > 0)) continue;
        if (hl && !(hl[topo.edges[e].source] === 2 || hl[topo.edges[e].target] === 2)) continue;
        const A = cl[CE[j]], B = cl[CE[j + 1]];
        const x0 = A.x + A.w, y0 = A.y + A.h / 2, x1 = B.x, y1 = B.y + B.h / 2;
        if (Math.max(x0, x1) < vx0 || Math.min(x0, x1) > vx1 || Math.max(y0, y1) < vy0 || Math.min(y0, y1) > vy1) continue;
        if (skip > 1 && (j / 3) % skip !== 0) continue;
        const n = Math.min(budget, Math.max(1, Math.ceil(Math.log2(1 + r) / 2.5)));
        const share = st.edgeErr[e] / r;
        const nRed = share > 0 ? Math.max(1, Math.round(n * Math.min(1, share))) : 0;
        const speed = 0.1 + 0.08 * Math.log10(1 + r);
        for (let i = red ? 0 : nRed; i < (red ? nRed : n); i++) {
          let u = time * speed + i / n + j * 0.618;
          u -= Math.floor(u);
          ctx.fillRect(x0 + (x1 - x0) * u - ds / 2, y0 + (y1 - y0) * u - ds / 2, ds, ds);
        }
      }
    }
  }

  private drawInstances(now: number): void {
    const ctx = this.g, st = this.store, topo = st.topo, L = this.inst!;
    const k = this.k;
    const ns = topo.services.length;
    // service colours first (for every instance)
    if (this.sLvl.length !== ns) this.sLvl = new Uint8Array(ns);
    for (let s = 0; s < ns; s++) this.sLvl[s] = healthLevel(st.errorShare(s));
    ctx.setTransform(this.dpr * k, 0, 0, this.dpr * k, this.dpr * this.tx, this.dpr * this.ty);
    // visible world rectangle
    const vx0 = -this.tx / k, vy0 = -this.ty / k, vx1 = (this.w - this.tx) / k, vy1 = (this.h - this.ty) / k;
    // zone boxes
    ctx.globalAlpha = 1;
    ctx.fillStyle = '#0f151c';
    for (const b of L.boxes) ctx.fillRect(b.x, b.y, b.w, b.h);
    ctx.beginPath();
    for (const b of L.boxes) ctx.rect(b.x, b.y, b.w, b.h);
    ctx.strokeStyle = '#30363d'; ctx.lineWidth = 1 / k; ctx.stroke();
    const hl = this.hl;
    const cl = L.clusters;
    // service-level edges between clusters in the same zone
    const CE = this.cEdges;
    const eBucket = (e: number) => {
      const r = st.edgeRate[e];
      const share = r > 0 ? st.edgeErr[e] / r : 0;
      return share > 0.1 ? 2 : share > 0.01 ? 1 : 0;
    };
    for (let b = 0; b < 3; b++) {
      ctx.beginPath();
      let any = false;
      for (let j = 0; j < CE.length; j += 3) {
        const e = CE[j + 2];
        if (!st.edgeOn[e] || eBucket(e) !== b) continue;
        if (hl && !(hl[topo.edges[e].source] === 2 || hl[topo.edges[e].target] === 2)) continue;
        const A = cl[CE[j]], B = cl[CE[j + 1]];
        ctx.moveTo(A.x + A.w, A.y + A.h / 2);
        ctx.lineTo(B.x, B.y + B.h / 2);
        any = true;
      }
      if (!any) continue;
      ctx.globalAlpha = hl ? 0.8 : CE.length > 900 ? 0.09 : 0.28;
      ctx.strokeStyle = EDGE_COL[b];
      ctx.lineWidth = 1 / k;
      ctx.stroke();
    }
    // instances: counting sort into (colour, alpha, dim) buckets, then one fill per bucket
    const n = topo.instances.length;
    if (this.bucket.length < n) { this.bucket = new Uint16Array(n * 2); this.orderBuf = new Int32Array(n * 2); }
    const NB = NCOL * 4 * 2;
    const counts = new Int32Array(NB + 1);
    const p = this.morphProgress(now);
    const ez = p >= 1 ? 1 : p * p * (3 - 2 * p);
    const morphing = ez < 1;
    const alive = st.alive, changed = st.changedAt;
    const insts = topo.instances;
    const margin = DOT;
    for (let i = 0; i < n; i++) {
      let a: number;
      const dt = now - changed[i];
      if (alive[i]) a = dt >= FADE_IN ? 1 : dt / FADE_IN;
      else a = dt >= FADE_OUT ? 0 : 1 - dt / FADE_OUT;
      let x = this.ix[i], y = this.iy[i];
      if (morphing) { x = this.ifx[i] + (x - this.ifx[i]) * ez; y = this.ify[i] + (y - this.ify[i]) * ez; }
      if (a <= 0.02 || x < vx0 - margin || x > vx1 + margin || y < vy0 - margin || y > vy1 + margin || !(x === x)) {
        this.bucket[i] = NB; counts[NB]++;
        continue;
      }
      const s = insts[i].service;
      const aq = a >= 1 ? 3 : Math.min(3, Math.floor(a * 4));
      const dim = hl && hl[s] === 0 ? 1 : 0;
      const b = ((this.sLvl[s] * 4 + aq) << 1) | dim;
      this.bucket[i] = b; counts[b]++;
    }
    const starts = new Int32Array(NB + 2);
    for (let b = 0; b <= NB; b++) starts[b + 1] = starts[b] + counts[b];
    const fillPos = starts.slice(0, NB + 1);
    for (let i = 0; i < n; i++) this.orderBuf[fillPos[this.bucket[i]]++] = i;
    const sizePx = DOT * 0.72 * k;
    const round = sizePx >= 6;
    const sz = Math.max(1.3 / k, DOT * 0.72);
    const half = sz / 2;
    for (let dim = 1; dim >= 0; dim--) {
      for (let lvl = 0; lvl < NCOL; lvl++) {
        for (let aq = 0; aq < 4; aq++) {
          const b = ((lvl * 4 + aq) << 1) | dim;
          const s0 = starts[b], s1 = starts[b + 1];
          if (s0 === s1) continue;
          ctx.globalAlpha = ((aq + 1) / 4) * (dim ? 0.15 : 1);
          ctx.fillStyle = colorOf(lvl);
          if (round) {
            ctx.beginPath();
            for (let q = s0; q < s1; q++) {
              const i = this.orderBuf[q];
              let x = this.ix[i], y = this.iy[i];
              if (morphing) { x = this.ifx[i] + (x - this.ifx[i]) * ez; y = this.ify[i] + (y - this.ify[i]) * ez; }
              ctx.moveTo(x + half, y);
              ctx.arc(x, y, half, 0, Math.PI * 2);
            }
            ctx.fill();
          } else {
            for (let q = s0; q < s1; q++) {
              const i = this.orderBuf[q];
              let x = this.ix[i], y = this.iy[i];
              if (morphing) { x = this.ifx[i] + (x - this.ifx[i]) * ez; y = this.ify[i] + (y - this.ify[i]) * ez; }
              ctx.fillRect(x - half, y - half, sz, sz);
            }
          }
        }
      }
    }
    if (this.instGhosts) {
      const g = this.instGhosts;
      const a = 1 - (now - g.t0) / FADE_OUT;
      if (a <= 0) this.instGhosts = null;
      else {
        ctx.globalAlpha = a; ctx.fillStyle = '#8b949e';
        for (let i = 0; i < g.x.length; i++) ctx.fillRect(g.x[i] - half, g.y[i] - half, sz, sz);
      }
    }
    // open breakers: red frame around the clusters of the dependency
    ctx.globalAlpha = 1;
    ctx.beginPath();
    let anyB = false;
    for (const c of cl) {
      if (!(st.breakerOpen[c.service] > 0)) continue;
      ctx.rect(c.x - 3, c.y - 3, c.w + 6, c.h + 6);
      anyB = true;
    }
    if (anyB) { ctx.strokeStyle = '#ff4d4f'; ctx.lineWidth = 2 / k; ctx.stroke(); }
    const sel = st.selection;
    if (sel) {
      ctx.strokeStyle = '#ffffff'; ctx.lineWidth = 1.5 / k;
      ctx.beginPath();
      if (sel.kind === 'instance' && sel.id < n) {
        const x = this.ix[sel.id], y = this.iy[sel.id];
        ctx.arc(x, y, DOT * 0.9, 0, Math.PI * 2);
      } else if (sel.kind === 'service') {
        for (const c of cl) if (c.service === sel.id) ctx.rect(c.x - 2, c.y - 2, c.w + 4, c.h + 4);
      }
      ctx.stroke();
    }
    if (this.hover && this.hover.kind === 'instance') {
      const i = this.hover.id;
      ctx.beginPath(); ctx.arc(this.ix[i], this.iy[i], DOT * 0.8, 0, Math.PI * 2);
      ctx.strokeStyle = '#c9d1d9'; ctx.lineWidth = 1 / k; ctx.stroke();
    }
    // labels (screen space): zone boxes always, cluster names when they fit
    ctx.setTransform(this.dpr, 0, 0, this.dpr, 0, 0);
    ctx.globalAlpha = 1;
    ctx.textBaseline = 'top';
    ctx.font = '600 12px system-ui, -apple-system, Segoe UI, sans-serif';
    ctx.fillStyle = '#8b949e';
    for (const b of L.boxes) {
      let live = 0;
      ctx.textBaseline = 'bottom';
      ctx.fillText(b.label, b.x * k + this.tx + 2, b.y * k + this.ty - 3);
      ctx.textBaseline = 'top';
      void live;
    }
    if (16 * k >= 10) {
      ctx.font = '10px system-ui, -apple-system, Segoe UI, sans-serif';
      for (const c of cl) {
        const px = c.x * k + this.tx, py = (c.y + c.h) * k + this.ty + 1;
        if (px > this.w || py > this.h || px + c.w * k < -100 || py < -12) continue;
        const maxChars = Math.floor((c.labelW * k) / 5.6);
        if (maxChars < 3) continue;
        let name = topo.services[c.service].name;
        if (name.length > maxChars) name = name.slice(0, maxChars - 1) + '…';
        ctx.fillStyle = hl && hl[c.service] === 0 ? 'rgba(139,148,158,0.3)' : '#8b949e';
        ctx.fillText(name, px, py);
      }
    }
    ctx.textBaseline = 'alphabetic';
  }

  /** Tooltip text for a hovered thing. */
  describe(sel: Selection): string {
    const st = this.store, topo = st.topo;
    if (sel.kind === 'instance') {
      const i = topo.instances[sel.id];
      if (!i) return '';
      const s = topo.services[i.service];
      return [`<b>${esc(i.name)}</b>`, `${esc(s.name)} · ${esc(s.package)}`, `zone ${esc(i.zone)}`,
        `service: ${fmtRate(st.rate[s.id])}/s · errors ${fmtRate(st.errors[s.id])}/s (${fmtPct(st.errorShare(s.id))}) · p99 ${fmtMs(st.p99[s.id])}`,
        i.died !== null ? `died at ${i.died.toFixed(1)} s` : `born ${i.born.toFixed(1)} s`].join('<br>');
    }
    const s = topo.services[sel.id];
    if (!s) return '';
    return [`<b>${esc(s.name)}</b>`, `package ${esc(s.package)} · tier ${s.tier}`,
      `${st.svcLive[s.id]} instances up`,
      `rate ${fmtRate(st.rate[s.id])}/s · errors ${fmtRate(st.errors[s.id])}/s (${fmtPct(st.errorShare(s.id))})`,
      `p50 ${fmtMs(st.p50[s.id])} · p99 ${fmtMs(st.p99[s.id])}`,
      st.breakerOpen[s.id] > 0 ? `<span class="bad">breaker open on calls into it (${fmtPct(st.breakerOpen[s.id])})</span>` : ''].filter(Boolean).join('<br>');
  }
}

export function esc(s: string): string {
  return s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);
}

/** The services view's tier columns, left to right, with their headers' texts. */
function tierColumns(topo: Store['topo'], L: ServiceLayout): TierCol[] {
  const by = new Map<number, { x0: number; x1: number; n: number; pk: Map<string, number> }>();
  for (const s of topo.services) {
    let t = by.get(s.tier);
    if (!t) by.set(s.tier, (t = { x0: Infinity, x1: -Infinity, n: 0, pk: new Map() }));
    t.x0 = Math.min(t.x0, L.x[s.id]); t.x1 = Math.max(t.x1, L.x[s.id]);
    t.n++;
    t.pk.set(s.package, (t.pk.get(s.package) ?? 0) + 1);
  }
  return [...by.entries()].sort((a, b) => a[0] - b[0]).map(([tier, t]) => {
    const what = t.pk.size === 1 ? [...t.pk.keys()][0] : `service${t.n === 1 ? '' : 's'}`;
    return { tier, x0: t.x0, x1: t.x1, full: `tier ${tier} · ${t.n} ${what}`, short: `t${tier} · ${t.n}` };
  });
}
