// Boot: pick the data source (embedded replay, HTTP replay, live websocket),
// wire the views, and expose window.monkeyhouse for tests and benchmarks.
import './style.css';
import { esc, GraphView, type LabelBox, type View } from './graph';
import { getJSON, LiveSource, ReplayController, TraceSource } from './sources';
import { Store, SPARK_SECONDS, type Selection } from './store';
import type { Command, Replay, Session, Trace } from './types';
import { initCharts, type SeriesData } from './ui/charts';
import { initCircuits } from './ui/circuits';
import { initSide } from './ui/side';
import { initTimeline } from './ui/timeline';
import { initTraces } from './ui/traces';
import { toast } from './ui/toast';
import { $, el, fmtTime, healthColor } from './util';

const store = new Store();
const graph = new GraphView($('#graph') as HTMLCanvasElement, store);
let live: LiveSource | null = null;
let replay: ReplayController | null = null;
let traces: TraceSource | null = null;
let lastTickT = 0;

/** The service or instance called exactly ``name`` (services first), or null. */
function byName(name: string): Selection | null {
  const s = store.serviceByName.get(name);
  if (s) return { kind: 'service', id: s.id };
  const i = store.instanceByName.get(name);
  return i ? { kind: 'instance', id: i.id } : null;
}

function selectByName(name: string): boolean {
  const sel = byName(name);
  if (sel) store.select(sel);
  return sel !== null;
}

/**
 * Names matching a text, best first: exact names, then names starting with it, then names
 * containing it (case-insensitive), services before instances in each group, and within a
 * group live instances first, then shorter names, then alphabetical.
 */
function matchNames(text: string, limit: number): { name: string; sel: Selection }[] {
  const q = text.trim().toLowerCase();
  if (!q) return [];
  const groups: { name: string; sel: Selection; live: number }[][] = [[], [], [], [], [], []];
  const put = (name: string, sel: Selection, inst: number, live: number) => {
    const n = name.toLowerCase();
    const g = n === q ? 0 : n.startsWith(q) ? 2 : n.includes(q) ? 4 : -1;
    if (g >= 0) groups[g + inst].push({ name, sel, live });
  };
  for (const s of store.topo.services) put(s.name, { kind: 'service', id: s.id }, 0, 1);
  for (const i of store.topo.instances) put(i.name, { kind: 'instance', id: i.id }, 1, store.alive[i.id] ? 1 : 0);
  const out: { name: string; sel: Selection }[] = [];
  for (const g of groups) {
    g.sort((a, b) => b.live - a.live || a.name.length - b.name.length || (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
    for (const m of g) { if (out.length >= limit) return out; out.push(m); }
  }
  return out;
}

/** Select the best match for a text, centre it in the graph, show it in the side panel. */
function find(text: string): boolean {
  const sel = byName(text.trim()) ?? matchNames(text, 1)[0]?.sel ?? null;
  if (!sel) return false;
  store.select(sel);
  graph.focusOn(sel);
  return true;
}

// ---------------------------------------------------------------- top bar
const modeEl = $('#mode'), timeEl = $('#sim-time'), liveEl = $('#live-count'), countEl = $('#node-count');
const durEl = $('#duration'), archEl = $('#arch'), fpsEl = $('#fps'), connEl = $('#conn');
const viewButtons = [...document.querySelectorAll<HTMLButtonElement>('#view-toggle button')];
function setView(v: View): void {
  graph.setView(v);
  for (const b of viewButtons) b.classList.toggle('on', b.dataset.view === graph.view);
  document.body.dataset.view = graph.view;
}
for (const b of viewButtons) b.addEventListener('click', () => setView(b.dataset.view as View));

const searchEl = $('#search') as HTMLInputElement, searchList = $('#search-list');
searchEl.addEventListener('input', (ev) => {
  searchEl.classList.remove('miss');
  // a suggestion picked from the list goes there at once
  if ((ev as InputEvent).inputType === 'insertReplacementText' || (ev as InputEvent).inputType === undefined) {
    if (byName(searchEl.value)) { find(searchEl.value); return; }
  }
  searchList.replaceChildren(...matchNames(searchEl.value, 12).map((m) => el('option', { value: m.name })));
});
searchEl.addEventListener('keydown', (ev) => {
  if (ev.key === 'Enter') { ev.preventDefault(); searchEl.classList.toggle('miss', !find(searchEl.value)); }
  else if (ev.key === 'Escape') { searchEl.value = ''; searchEl.classList.remove('miss'); searchEl.blur(); }
});
document.addEventListener('keydown', (ev) => {
  const t = ev.target as HTMLElement | null;
  if (ev.key !== '/' || ev.ctrlKey || ev.metaKey || ev.altKey) return;
  if (t && (t.tagName === 'INPUT' || t.tagName === 'TEXTAREA' || t.tagName === 'SELECT' || t.isContentEditable)) return;
  ev.preventDefault();
  searchEl.focus();
  searchEl.select();
});

const speedsEl = $('#speeds');
const SPEEDS = [0.5, 1, 2, 5, 10];
for (const x of SPEEDS) {
  const b = el('button', { 'data-testid': `speed-${x}`, 'data-speed': String(x), text: `${x}×` });
  b.addEventListener('click', () => live?.send({ type: 'control', action: 'speed', speed: x }, `speed ${x}×`));
  speedsEl.append(b);
}
$('#pause').addEventListener('click', () => live?.send({ type: 'control', action: 'pause' }, 'pause'));
$('#resume').addEventListener('click', () => live?.send({ type: 'control', action: 'resume' }, 'resume'));

function renderMeta(): void {
  modeEl.textContent = store.mode + (store.ended ? ` · ${store.ended}` : store.mode === 'live' && store.paused ? ' · paused' : '');
  modeEl.className = `badge ${store.mode}`;
  archEl.textContent = store.arch || '–';
  document.title = store.arch ? `${store.arch} · monkeyhouse` : 'monkeyhouse';
  timeEl.textContent = fmtTime(store.t);
  durEl.textContent = store.duration ? ` / ${fmtTime(store.duration)}` : '';
  liveEl.textContent = String(store.liveCount);
  $('#live-controls').hidden = store.mode !== 'live';
  for (const b of speedsEl.querySelectorAll<HTMLButtonElement>('button')) b.classList.toggle('on', Number(b.dataset.speed) === store.speed);
  ($('#pause') as HTMLButtonElement).disabled = store.paused || !!store.ended;
  ($('#resume') as HTMLButtonElement).disabled = !store.paused || !!store.ended;
}
store.on('meta', renderMeta);
store.on('tick', () => { lastTickT = store.t; timeEl.textContent = fmtTime(store.t); liveEl.textContent = String(store.liveCount); });
setInterval(() => {
  countEl.textContent = String(graph.nodeCount());
  fpsEl.textContent = `${graph.fps()} fps`;
}, 250);

// ---------------------------------------------------------------- legend + tooltip
$('#legend').append(
  ...[[0, '< 0.2 % errors'], [3, '2–5 %'], [5, '10–20 %'], [7, '≥ 40 %']].map(([l, t]) =>
    el('span', {}, el('i', { style: `background:${healthColor(l as number)}` }), String(t))),
  el('span', {}, el('i', { class: 'ring' }), 'breaker open'),
  el('span', {}, el('i', { style: 'background:#6e7681' }), 'no instance up'),
);
const tip = $('#tooltip');
graph.onHover = (sel, x, y) => {
  if (!sel) { tip.hidden = true; return; }
  tip.innerHTML = graph.describe(sel);
  tip.hidden = false;
  const r = tip.getBoundingClientRect();
  tip.style.left = `${Math.min(window.innerWidth - r.width - 8, x + 14)}px`;
  tip.style.top = `${Math.min(window.innerHeight - r.height - 8, y + 14)}px`;
};
graph.onClick = (sel) => store.select(sel);
void esc;

// ---------------------------------------------------------------- tabs
let tab = 'circuits';
const tabButtons = [...document.querySelectorAll<HTMLButtonElement>('#tabs button')];
const circuits = initCircuits($('#pane-circuits'), $('#tab-tools'), store, () => tab === 'circuits', sparkFor, selectByName);
const charts = initCharts($('#pane-charts'), store, () => tab === 'charts', seriesFor, () => (replay ? replay.t : null));
const traceView = initTraces($('#pane-traces'), () => traces, () => tab === 'traces', () => store.mode === 'live');
function showTab(name: string): void {
  tab = name;
  for (const b of tabButtons) b.classList.toggle('on', b.dataset.tab === name);
  for (const p of ['circuits', 'charts', 'traces']) $(`#pane-${p}`).hidden = p !== name;
  $('#circuit-tools').hidden = name !== 'circuits';
  if (name === 'circuits') circuits.refresh();
  if (name === 'charts') charts.refresh();
  if (name === 'traces') traceView.refresh();
}
for (const b of tabButtons) b.addEventListener('click', () => showTab(b.dataset.tab!));

initSide(store, () => live, (name) => { selectByName(name); });

// ---------------------------------------------------------------- data for charts and sparklines
function seriesFor(svc: number): SeriesData {
  if (replay) {
    const ser = replay.doc.series;
    const name = store.topo.services[svc]?.name;
    const main = replay.doc.topology.services.find((s) => s.name === name)?.id ?? -1;
    const col = (a: number[][] | undefined) => (main >= 0 && a?.[main] ? a[main].map(Number) : []);
    return { t: ser?.t ?? [], rate: col(ser?.services?.rate), errors: col(ser?.services?.errors), p50: col(ser?.services?.p50_ms), p99: col(ser?.services?.p99_ms) };
  }
  return { t: store.histT.toArray(), rate: store.histRate[svc]?.toArray() ?? [], errors: store.histErr[svc]?.toArray() ?? [],
    p50: store.histP50[svc]?.toArray() ?? [], p99: store.histP99[svc]?.toArray() ?? [] };
}

function sparkFor(c: Command): number[] {
  if (replay) {
    const own = replay.commandRates(c.name, SPARK_SECONDS);
    if (own) return own;
    // an older run folder has no per-command series: the dependency's request rate stands in
    const ser = replay.doc.series;
    const main = replay.doc.topology.services.find((s) => s.name === c.dependency)?.id ?? -1;
    if (main < 0 || !ser?.t?.length) return [];
    const out: number[] = [];
    for (let i = 0; i < ser.t.length; i++) {
      if (ser.t[i] > replay.t) break;
      if (ser.t[i] >= replay.t - SPARK_SECONDS) out.push(+ser.services.rate[main][i] || 0);
    }
    return out;
  }
  const h = store.cmdHist.get(c.name);
  if (!h) return [];
  const out: number[] = [];
  const t0 = store.t - SPARK_SECONDS;
  for (let i = 0; i < h.t.length; i++) if (h.t.get(i) >= t0) out.push(h.rate.get(i));
  return out;
}

// ---------------------------------------------------------------- test hooks
interface MonkeyhouseAPI {
  nodeCount(): number; view: View; setView(v: View): void;
  positionOf(name: string): { x: number; y: number } | null; fps(): number; lastTickT: number;
  select(name: string | null): boolean; replayAt(t: number): void; mode(): string; store: Store;
  find(text: string): boolean; labels(): LabelBox[];
}
const api = {
  nodeCount: () => graph.nodeCount(),
  get view() { return graph.view; },
  setView: (v: View) => setView(v),
  positionOf: (name: string) => graph.positionOf(name),
  fps: () => graph.fps(),
  get lastTickT() { return replay ? replay.t : lastTickT; },
  select: (name: string | null) => { if (name === null) { store.select(null); return true; } return selectByName(name); },
  replayAt: (t: number) => { if (replay) { replay.pause(); replay.at(t); graph.sync(performance.now()); } },
  mode: () => store.mode,
  find: (text: string) => find(String(text)),
  labels: () => graph.labels(),
  store,
} as MonkeyhouseAPI;
(window as unknown as { monkeyhouse: MonkeyhouseAPI }).monkeyhouse = api;

// ---------------------------------------------------------------- boot
function startReplay(doc: Replay, mode: 'replay' | 'offline'): void {
  if (!doc || typeof doc !== 'object' || !doc.topology) throw new Error('not a replay document');
  store.mode = mode;
  const embedded = mode === 'offline' ? embeddedTraces(doc.trace_data) : null;
  traces = new TraceSource(embedded, mode === 'offline' ? (Array.isArray(doc.traces) ? doc.traces : []) : null);
  replay = new ReplayController(store, doc, embedded ?? new Map());
  replay.start();
  initTimeline(replay);
  renderMeta();
}

/** `trace_data`: a list of traces, or an object from trace id to trace (both are accepted). */
function embeddedTraces(data: unknown): Map<string, Trace> {
  const out = new Map<string, Trace>();
  const add = (id: string, t: unknown) => {
    if (t && typeof t === 'object' && Array.isArray((t as Trace).spans)) out.set(String((t as Trace).trace ?? id), t as Trace);
  };
  if (Array.isArray(data)) data.forEach((t, i) => add(String(i), t));
  else if (data && typeof data === 'object') for (const [id, t] of Object.entries(data)) add(id, t);
  return out;
}

async function boot(): Promise<void> {
  const embedded = document.getElementById('mh-data');
  if (embedded) {
    try {
      startReplay(JSON.parse(embedded.textContent || 'null') as Replay, 'offline');
    } catch (e) {
      console.error('monkeyhouse: the embedded replay could not be read', e);
      toast(`The embedded data could not be read: ${String(e)}`, 'err');
      store.mode = 'offline'; renderMeta();
    }
    return;
  }
  let session: Session;
  try { session = await getJSON<Session>('/api/session'); } catch (e) {
    toast(`No session: ${String(e)}`, 'err');
    connEl.textContent = 'no server';
    connEl.classList.add('down');
    return;
  }
  store.arch = session.arch ?? '';
  store.source = session.source ?? '';
  if (session.mode === 'replay') {
    try { startReplay(await getJSON<Replay>('/api/replay'), 'replay'); } catch (e) {
      toast(`The replay could not be loaded: ${String(e)}`, 'err');
    }
    return;
  }
  const url = `${location.protocol === 'https:' ? 'wss' : 'ws'}://${location.host}/ws`;
  traces = new TraceSource(null, null);
  live = new LiveSource(store, url, toast);
  // connected: a quiet dot (its title says so); anything else in words
  live.onStatus = (ok, text) => { connEl.textContent = ok ? '●' : text; connEl.title = text; connEl.classList.toggle('down', !ok); };
  live.start();
  store.mode = 'live';
  renderMeta();
}

setView('services');
renderMeta();
void boot();
