// Small helpers shared by the views.

export function el<K extends keyof HTMLElementTagNameMap>(
  tag: K, attrs: Record<string, string> = {}, ...kids: (Node | string)[]
): HTMLElementTagNameMap[K] {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (k === 'class') e.className = v;
    else if (k === 'text') e.textContent = v;
    else e.setAttribute(k, v);
  }
  for (const k of kids) e.append(k);
  return e;
}

export function $(sel: string): HTMLElement {
  const e = document.querySelector<HTMLElement>(sel);
  if (!e) throw new Error(`missing element ${sel}`);
  return e;
}

export function fmtTime(t: number): string {
  if (!isFinite(t)) return '–';
  const m = Math.floor(t / 60);
  const s = t - m * 60;
  return `${m}:${s < 10 ? '0' : ''}${s.toFixed(1)}`;
}

export function fmtRate(x: number): string {
  if (!isFinite(x)) return '–';
  if (x >= 10000) return `${(x / 1000).toFixed(1)}k`;
  if (x >= 100) return x.toFixed(0);
  if (x >= 10) return x.toFixed(1);
  return x.toFixed(2);
}

export function fmtMs(x: number | undefined): string {
  if (x === undefined || !isFinite(x)) return '–';
  if (x >= 1000) return `${(x / 1000).toFixed(2)}s`;
  if (x >= 100) return `${x.toFixed(0)}ms`;
  return `${x.toFixed(1)}ms`;
}

export function fmtPct(x: number): string {
  if (!isFinite(x)) return '–';
  return `${(x * 100).toFixed(x < 0.1 ? 1 : 0)}%`;
}

/** Fixed-size ring of numbers (charts, sparklines): memory never grows. */
export class Ring {
  readonly buf: Float64Array;
  start = 0;
  length = 0;
  constructor(readonly capacity: number) { this.buf = new Float64Array(capacity); }
  push(v: number): void {
    const i = (this.start + this.length) % this.capacity;
    this.buf[i] = v;
    if (this.length < this.capacity) this.length++;
    else this.start = (this.start + 1) % this.capacity;
  }
  get(i: number): number { return this.buf[(this.start + i) % this.capacity]; }
  last(): number { return this.length ? this.get(this.length - 1) : NaN; }
  toArray(): number[] {
    const out = new Array<number>(this.length);
    for (let i = 0; i < this.length; i++) out[i] = this.get(i);
    return out;
  }
  clear(): void { this.start = 0; this.length = 0; }
}

// Health colours: green → yellow → orange → red by error share, quantised into
// HEALTH_LEVELS buckets so the graph draws one path per colour.
export const HEALTH_LEVELS = 8;
const HEALTH = ['#3fb950', '#7cc044', '#b8c23a', '#e3b341', '#f0883e', '#f26b3a', '#f85149', '#ff2d3a'];
export function healthLevel(share: number): number {
  if (!(share > 0.002)) return 0;
  if (share < 0.01) return 1;
  if (share < 0.02) return 2;
  if (share < 0.05) return 3;
  if (share < 0.1) return 4;
  if (share < 0.2) return 5;
  if (share < 0.4) return 6;
  return 7;
}
export function healthColor(level: number): string { return HEALTH[Math.max(0, Math.min(HEALTH_LEVELS - 1, level))]; }

/** Hystrix's error-share circle colours. */
export function hystrixColor(share: number): string {
  if (share < 0.01) return '#3fb950';
  if (share < 0.1) return '#e3b341';
  if (share < 0.25) return '#f0883e';
  return '#f85149';
}

// A stable colour per service for traces.
const PALETTE = ['#58a6ff', '#3fb950', '#d2a8ff', '#f0883e', '#56d4dd', '#e3b341', '#ff7b72', '#a5d6ff',
  '#7ee787', '#ffa657', '#bc8cff', '#79c0ff', '#f778ba', '#8b949e'];
export function serviceColor(name: string): string {
  let h = 2166136261;
  for (let i = 0; i < name.length; i++) { h ^= name.charCodeAt(i); h = Math.imul(h, 16777619); }
  return PALETTE[(h >>> 0) % PALETTE.length];
}
