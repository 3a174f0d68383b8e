// Charts tab: throughput, errors and latency over time (uPlot), for the front door
// or the selected service, with a cursor at the replay time.
import uPlot from 'uplot';
import 'uplot/dist/uPlot.min.css';
import type { Store } from '../store';
import { el, fmtTime } from '../util';

export interface SeriesData { t: number[]; rate: number[]; errors: number[]; p50: number[]; p99: number[] }

export function initCharts(pane: HTMLElement, store: Store, isVisible: () => boolean,
  source: (service: number) => SeriesData, cursorT: () => number | null): { refresh(): void; resize(): void } {
  const title = el('div', { class: 'muted', style: 'margin: 0 2px 6px' });
  const wrap = el('div', { class: 'charts' });
  pane.append(title, wrap);
  const boxes = ['Throughput (req/s)', 'Errors (per s, and share)', 'Latency (ms)'].map((h) => {
    const b = el('div', { class: 'chart', 'data-testid': 'chart' }, el('h3', { text: h }));
    wrap.append(b);
    return b;
  });
  const axisStyle = { stroke: '#8b949e', grid: { stroke: '#1f252e', width: 1 }, ticks: { stroke: '#30363d', width: 1 } };
  const cursorHook = (u: uPlot) => {
    const t = cursorT();
    if (t === null) return;
    const x = u.valToPos(t, 'x', true);
    if (!isFinite(x)) return;
    const ctx = u.ctx;
    ctx.save();
    ctx.setLineDash([]);
    ctx.strokeStyle = '#e3b341'; ctx.lineWidth = 1.5 * devicePixelRatio;
    ctx.beginPath(); ctx.moveTo(x, u.bbox.top); ctx.lineTo(x, u.bbox.top + u.bbox.height); ctx.stroke();
    ctx.restore();
  };
  const timeAxis = { ...axisStyle, values: (_u: uPlot, vals: number[]) => vals.map((v) => fmtTime(v).replace(/\.0$/, '')) };
  const base = (w: number, h: number, series: uPlot.Series[], axes: uPlot.Axis[]): uPlot.Options => ({
    width: w, height: h, series, axes,
    scales: { x: { time: false } },
    legend: { show: true, live: true },
    cursor: { drag: { x: false, y: false } },
    hooks: { draw: [cursorHook] },
  });
  let plots: uPlot[] = [];
  let shownService = -2;
  const size = () => {
    const w = Math.max(200, Math.floor(wrap.clientWidth / 3) - 20);
    const h = Math.max(80, pane.clientHeight - 90);
    return { w, h };
  };
  function build(): void {
    for (const p of plots) p.destroy();
    const { w, h } = size();
    const empty: uPlot.AlignedData = [[], []];
    plots = [
      new uPlot(base(w, h, [{ label: 't' }, { label: 'req/s', stroke: '#58a6ff', fill: 'rgba(88,166,255,0.12)', width: 1.5 }],
        [timeAxis, { ...axisStyle, size: 50 }]), empty, boxes[0]),
      new uPlot({ ...base(w, h, [{ label: 't' }, { label: 'errors/s', stroke: '#f85149', fill: 'rgba(248,81,73,0.12)', width: 1.5 },
        { label: 'share %', stroke: '#f0883e', scale: 'pct', width: 1, dash: [4, 3] }],
      [timeAxis, { ...axisStyle, size: 50 }, { ...axisStyle, scale: 'pct', side: 1, size: 44, grid: { show: false } }]),
      scales: { x: { time: false }, pct: { range: (_u, _min, max) => [0, Math.max(1, max)] } } },
      [[], [], []], boxes[1]),
      new uPlot(base(w, h, [{ label: 't' }, { label: 'p50', stroke: '#3fb950', width: 1.5 }, { label: 'p99', stroke: '#d2a8ff', width: 1.5 }],
        [timeAxis, { ...axisStyle, size: 54 }]), [[], [], []], boxes[2]),
    ];
  }
  let lastKey = '';
  function refresh(force = false): void {
    if (!isVisible() && !force) return;
    if (!plots.length) build();
    const sel = store.selection;
    const topo = store.topo;
    const svc = sel ? (sel.kind === 'service' ? sel.id : topo.instances[sel.id]?.service ?? -1) : store.entryService();
    if (svc < 0 || svc >= topo.services.length) {
      title.textContent = 'No service to chart.';
      for (const p of plots) p.setData(p.series.length === 2 ? [[], []] : [[], [], []]);
      return;
    }
    title.textContent = `${topo.services[svc].name}${sel ? '' : ' (front door)'} — ${store.mode === 'live' ? 'last minutes of the live run' : 'the whole run'}`;
    const key = `${svc}|${store.topoVersion}|${store.mode}`;
    if (store.mode === 'live' || key !== lastKey || svc !== shownService) {
      const d = source(svc);
      const share = d.errors.map((e, i) => (d.rate[i] > 0 ? (100 * e) / d.rate[i] : 0));
      plots[0].setData([d.t, d.rate]);
      plots[1].setData([d.t, d.errors, share]);
      plots[2].setData([d.t, d.p50, d.p99]);
      lastKey = key;
      shownService = svc;
    } else {
      for (const p of plots) p.redraw(false, false);
    }
  }
  function resize(): void {
    if (!plots.length) return;
    const { w, h } = size();
    for (const p of plots) p.setSize({ width: w, height: h });
  }
  let pending = false;
  const later = () => {
    if (pending) return;
    pending = true;
    setTimeout(() => { pending = false; refresh(); }, store.mode === 'live' ? 500 : 120);
  };
  store.on('tick', later);
  store.on('select', () => refresh());
  store.on('topology', () => { lastKey = ''; later(); });
  window.addEventListener('resize', () => { if (isVisible()) resize(); });
  return { refresh: () => { resize(); refresh(true); }, resize };
}
