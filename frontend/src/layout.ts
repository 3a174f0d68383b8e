// Layouts: services layered left→right by tier (barycenter order within a layer),
// instances boxed by region/zone with one cluster per service.
import type { Instance, Topology } from './types';

export interface ServiceLayout {
  x: Float64Array; y: Float64Array;
  order: Int32Array;        // rank of each service within its tier (for cluster order)
  rowH: number;             // vertical spacing between rows
  labelRoom: number;        // world units free to the right of a node for its label
  minX: number; minY: number; maxX: number; maxY: number;
}

export const TIER_GAP = 240;

/** `aspect`: the screen's width over its height, for the fold of wide tiers. */
export function layoutServices(topo: Topology, aspect = 1.9): ServiceLayout {
  const ns = topo.services.length;
  const x = new Float64Array(ns), y = new Float64Array(ns), order = new Int32Array(ns);
  if (!ns) return { x, y, order, rowH: 40, labelRoom: 100, minX: 0, minY: 0, maxX: 0, maxY: 0 };
  const tiers = new Map<number, number[]>();
  for (const s of topo.services) {
    let l = tiers.get(s.tier);
    if (!l) tiers.set(s.tier, (l = []));
    l.push(s.id);
  }
  const tierKeys = [...tiers.keys()].sort((a, b) => a - b);
  const layers = tierKeys.map((k) => tiers.get(k)!);
  // neighbours in both directions (ignore self loops)
  const up: number[][] = topo.services.map(() => []);
  const down: number[][] = topo.services.map(() => []);
  for (const e of topo.edges) {
    if (e.source === e.target) continue;
    down[e.source].push(e.target);
    up[e.target].push(e.source);
  }
  const pos = new Float64Array(ns); // normalised position in layer (0..1)
  const setPos = (layer: number[]) => layer.forEach((s, i) => { pos[s] = layer.length > 1 ? i / (layer.length - 1) : 0.5; });
  layers.forEach(setPos);
  const bary = (s: number, nbrs: number[][]) => {
    const n = nbrs[s];
    if (!n.length) return pos[s];
    let sum = 0;
    for (const m of n) sum += pos[m];
    return sum / n.length;
  };
  for (let sweep = 0; sweep < 6; sweep++) {
    const downward = sweep % 2 === 0;
    const seq = downward ? layers.slice(1) : layers.slice(0, -1).reverse();
    for (const layer of seq) {
      const key = new Map<number, number>();
      for (const s of layer) key.set(s, bary(s, downward ? up : down) + pos[s] * 1e-3);
      layer.sort((a, b) => key.get(a)! - key.get(b)!);
      setPos(layer);
    }
  }
  // Wide layers are folded into sub-columns, staggered so that y still follows order. The
  // height of a column is the one that gives the largest picture on a screen of that shape
  // (a large estate folded too low is a thin band across a wide screen); never lower than
  // the default so small architectures keep their look.
  const rowH = ns > 150 ? 30 : ns > 40 ? 40 : 58;
  const subGap = 170;
  const base = Math.max(14, Math.ceil(Math.sqrt(ns) * 1.8));
  const widest = Math.max(...layers.map((l) => l.length));
  const tries = new Set([base]);
  for (let c = 1; c <= Math.ceil(widest / base); c++) if (Math.ceil(widest / c) > base) tries.add(Math.ceil(widest / c));
  let best = -1, bestScore = -Infinity;
  for (const m of [...tries].sort((a, b) => a - b)) {
    const f = fold(m);
    // the scale a fit would pick (the view adds room for labels and headers)
    const score = Math.min(aspect / (f.w + 220), 0.93 / (f.h + 80));
    if (score > bestScore * 1.02) { bestScore = score; best = m; }
  }
  const maxPerCol = best;
  function fold(perCol: number) {
    const cols = layers.map((l) => Math.max(1, Math.ceil(l.length / perCol)));
    let w = 0, rows = 0;
    layers.forEach((l, li) => {
      rows = Math.max(rows, Math.ceil(l.length / cols[li]));
      w += (cols[li] - 1) * subGap + (cols[li] > 1 ? subGap / 2 : 0) + TIER_GAP;
    });
    return { cols, w: w - TIER_GAP, h: (rows - 1) * rowH };
  }
  let cx = 0;
  let maxRows = 0;
  const cols = fold(maxPerCol).cols;
  layers.forEach((l, li) => { maxRows = Math.max(maxRows, Math.ceil(l.length / cols[li])); });
  let minX = Infinity, minY = Infinity, maxX = -Infinity, maxY = -Infinity;
  layers.forEach((layer, li) => {
    const nc = cols[li];
    const rows = Math.ceil(layer.length / nc);
    const y0 = ((maxRows - rows) * rowH) / 2;
    layer.forEach((s, i) => {
      const row = Math.floor(i / nc), col = i % nc;
      // alternate rows are shifted half a sub-column so labels interleave
      x[s] = cx + col * subGap + (nc > 1 && row % 2 ? subGap / 2 : 0);
      y[s] = y0 + row * rowH;
      order[s] = i;
      minX = Math.min(minX, x[s]); maxX = Math.max(maxX, x[s]);
      minY = Math.min(minY, y[s]); maxY = Math.max(maxY, y[s]);
    });
    cx += (nc - 1) * subGap + (nc > 1 ? subGap / 2 : 0) + TIER_GAP;
  });
  const labelRoom = cols.some((c) => c > 1) ? subGap / 2 - 16 : TIER_GAP - 40;
  return { x, y, order, rowH, labelRoom, minX, minY, maxX, maxY };
}

// ---------------------------------------------------------------------------

// The box an instance is drawn in: its zone, or "<region>/*" region-wide, or "*/*" world-wide.
export function zoneKey(i: Instance): string {
  return !i.zone || i.zone === '*' ? `${i.region || '*'}/*` : i.zone;
}

/** Every box's key: world-wide first, then the topology's zones, then region-wide ones. */
export function layoutZones(topo: Topology): string[] {
  const zones = [...topo.zones];
  for (const i of topo.instances) { const k = zoneKey(i); if (!zones.includes(k)) zones.push(k); }
  return zones.sort((a, b) => +(b === '*/*') - +(a === '*/*'));
}

export function zoneLabel(z: string): string {
  if (z === '*/*') return 'global';
  if (z.endsWith('/*')) return `${z.slice(0, -2)} / regional`;
  return z.replace('/', ' / ');
}

export const DOT = 6; // world units between instance dots

export interface Cluster {
  key: number; zone: number; service: number;
  x: number; y: number; w: number; h: number; cols: number; cap: number;
  labelW: number; // room for the label (its column's width and part of the gap)
}
export interface ZoneBox { zone: number; label: string; x: number; y: number; w: number; h: number }
export interface InstanceLayout {
  clusters: Cluster[];
  byKey: Map<number, Cluster>;
  boxes: ZoneBox[];
  minX: number; minY: number; maxX: number; maxY: number;
}

/**
 * Stable slots: an instance takes the first slot of its (zone, service) cluster
 * whose last occupant died at or before its birth, so a replacement lands where
 * the instance it replaces was, and scrubbing a replay never moves dots.
 */
export class Slots {
  slot = new Int32Array(0);
  private occupant = new Map<number, number[]>(); // cluster key → instance id per slot
  private zoneIndex = new Map<string, number>();
  capacity = new Map<number, number>();
  done = 0;

  constructor(readonly nServices: number, zones: string[]) {
    zones.forEach((z, i) => this.zoneIndex.set(z, i));
  }

  zoneOf(inst: Instance): number {
    const k = zoneKey(inst);
    let z = this.zoneIndex.get(k);
    if (z === undefined) { z = this.zoneIndex.size; this.zoneIndex.set(k, z); }
    return z;
  }

  keyOf(inst: Instance): number { return this.zoneOf(inst) * this.nServices + inst.service; }

  zoneIndexOf(key: string): number | undefined { return this.zoneIndex.get(key); }

  /** Assign slots to instances [done, n); returns true when a cluster grew. */
  update(instances: Instance[]): boolean {
    const n = instances.length;
    if (this.slot.length < n) {
      const s = new Int32Array(Math.max(n, this.slot.length * 2)).fill(-1);
      s.set(this.slot);
      this.slot = s;
    }
    let grew = false;
    // process in birth order (instances arrive in creation order already)
    const todo: number[] = [];
    for (let i = this.done; i < n; i++) todo.push(i);
    todo.sort((a, b) => instances[a].born - instances[b].born || a - b);
    for (const i of todo) {
      const inst = instances[i];
      const key = this.keyOf(inst);
      let occ = this.occupant.get(key);
      if (!occ) this.occupant.set(key, (occ = []));
      let slot = -1;
      for (let k = 0; k < occ.length; k++) {
        const prev = instances[occ[k]];
        if (prev.died !== null && prev.died <= inst.born) { slot = k; break; }
      }
      if (slot < 0) { slot = occ.length; occ.push(i); } else occ[slot] = i;
      this.slot[i] = slot;
      const cap = this.capacity.get(key) ?? 0;
      if (slot + 1 > cap) { this.capacity.set(key, slot + 1); grew = true; }
    }
    this.done = n;
    return grew;
  }
}

export function layoutInstances(topo: Topology, slots: Slots, svc: ServiceLayout, aspect = 1.9): InstanceLayout {
  let best: InstanceLayout | null = null, bestScore = Infinity;
  for (let p = 1; p <= Math.max(1, topo.zones.length); p++) {
    const L = layoutInstancesP(topo, slots, svc, aspect, p);
    if (!L) break;
    const score = Math.abs(Math.log((L.maxX - L.minX + 1) / (L.maxY - L.minY + 1) / aspect));
    if (score < bestScore - 1e-9) { bestScore = score; best = L; }
  }
  return best ?? { clusters: [], byKey: new Map(), boxes: [], minX: 0, minY: 0, maxX: 0, maxY: 0 };
}

function layoutInstancesP(topo: Topology, slots: Slots, svc: ServiceLayout, aspect: number, perRow: number): InstanceLayout | null {
  const ns = topo.services.length;
  const zones = layoutZones(topo);
  const regionOfZone = (z: string) => (z.includes('/') ? z.slice(0, z.indexOf('/')) : z);
  const regions: string[] = zones.includes('*/*') ? ['*'] : [];
  for (const r of topo.regions) if (!regions.includes(r)) regions.push(r);
  for (const z of zones) if (!regions.includes(regionOfZone(z))) regions.push(regionOfZone(z));
  // cluster dimensions
  const dims = new Map<number, { cols: number; rows: number; cap: number }>();
  let area = 0;
  for (const [key, cap] of slots.capacity) {
    const cols = Math.max(1, Math.ceil(Math.sqrt(cap * 1.6)));
    const rows = Math.ceil(cap / cols);
    dims.set(key, { cols, rows, cap });
    area += (cols * DOT + 12) * (rows * DOT + 16);
  }
  const nz = Math.max(1, zones.length);
  const perZoneArea = area / nz;
  const maxPer = Math.max(1, ...regions.map((r) => zones.filter((z) => regionOfZone(z) === r).length));
  if (perRow > maxPer) return null;
  const rows = regions.reduce((n, r) => n + Math.ceil(zones.filter((z) => regionOfZone(z) === r).length / perRow), 0);
  const H = Math.max(120, Math.sqrt((perRow * perZoneArea) / (Math.max(1, rows) * aspect)) * 1.1);
  // services ordered by tier then by their services-view order
  const ordered = topo.services.map((s) => s.id).sort((a, b) =>
    topo.services[a].tier - topo.services[b].tier || svc.y[a] - svc.y[b] || svc.x[a] - svc.x[b]);
  const clusters: Cluster[] = [];
  const byKey = new Map<number, Cluster>();
  const boxes: ZoneBox[] = [];
  const PAD = 14, HEAD = 8;
  const boxClusters: Cluster[][] = [];
  const boxRegion: number[] = [];
  regions.forEach((region, ri) => {
    zones.forEach((zone, zi) => {
      if (regionOfZone(zone) !== region) return;
      // place clusters in columns by tier, wrapping when a column exceeds H (box-local coordinates)
      let cx = PAD, cy = HEAD, colW = 0, tier = -1, boxH = 0;
      const mine: Cluster[] = [];
      let column: Cluster[] = [];
      for (const s of ordered) {
        const key = zi * ns + s;
        const d = dims.get(key);
        if (!d) continue;
        const w = d.cols * DOT, h = d.rows * DOT;
        const t = topo.services[s].tier;
        if ((t !== tier && tier !== -1) || cy + h > H + HEAD) {
          if (cy > HEAD) {
            for (const c of column) c.labelW = colW + (t !== tier ? 22 : 10);
            column = [];
            cx += colW + (t !== tier ? 26 : 14); cy = HEAD; colW = 0;
          }
        }
        tier = t;
        const c: Cluster = { key, zone: zi, service: s, x: cx, y: cy, w, h, cols: d.cols, cap: d.cap, labelW: 60 };
        mine.push(c);
        column.push(c);
        cy += h + 16;
        colW = Math.max(colW, w, 30);
        boxH = Math.max(boxH, cy);
      }
      for (const c of column) c.labelW = colW + PAD;
      boxes.push({ zone: zi, label: zoneLabel(zone), x: 0, y: 0, w: Math.max(cx + colW + PAD, 160), h: Math.max(boxH + 4, 60) });
      boxClusters.push(mine);
      boxRegion.push(ri);
    });
  });
  // arrange the zone boxes in rows (a new row for each region), as many per row as
  // gives a picture closest to a wide screen's shape
  const GAP = 34;
  const arrange = (perRow: number, apply: boolean) => {
    let x = 0, y = 0, rowH = 0, inRow = 0, W = 0, prevRegion = -1;
    boxes.forEach((b, i) => {
      if (inRow >= perRow || (prevRegion !== -1 && boxRegion[i] !== prevRegion)) {
        y += rowH + GAP + (boxRegion[i] !== prevRegion ? 10 : 0); x = 0; rowH = 0; inRow = 0;
      }
      prevRegion = boxRegion[i];
      if (apply) {
        b.x = x; b.y = y;
        for (const c of boxClusters[i]) { c.x += x; c.y += y; }
      }
      x += b.w + GAP; inRow++;
      rowH = Math.max(rowH, b.h);
      W = Math.max(W, x - GAP);
    });
    return { W, H: y + rowH };
  };
  arrange(perRow, true);
  for (const mine of boxClusters) for (const c of mine) { clusters.push(c); byKey.set(c.key, c); }
  let minX = Infinity, minY = Infinity, maxX = -Infinity, maxY = -Infinity;
  for (const b of boxes) {
    minX = Math.min(minX, b.x); minY = Math.min(minY, b.y - 20);
    maxX = Math.max(maxX, b.x + b.w); maxY = Math.max(maxY, b.y + b.h);
  }
  if (!isFinite(minX)) { minX = 0; minY = 0; maxX = 0; maxY = 0; }
  return { clusters, byKey, boxes, minX, minY, maxX, maxY };
}
