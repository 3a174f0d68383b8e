// Traces tab: the list of traces and a waterfall of the chosen one.
import type { TraceSource } from '../sources';
import type { Span, Trace, TraceSummary } from '../types';
import { el, fmtMs, fmtTime, serviceColor } from '../util';

type Key = 'duration_ms' | 'start' | 'spans' | 'root';

export function initTraces(pane: HTMLElement, src: () => TraceSource | null, isVisible: () => boolean,
  live: () => boolean): { refresh(): void } {
  const list = el('div', { class: 'tlist' });
  const wf = el('div', { class: 'waterfall', 'data-testid': 'waterfall' }, el('div', { class: 'empty', text: 'Pick a trace to see its spans.' }));
  pane.append(el('div', { class: 'traces' }, list, wf));
  let rows: TraceSummary[] = [];
  let key: Key = 'duration_ms';
  let desc = true;
  let chosen: string | null = null;
  let loading = false;

  function renderList(): void {
    const s = src();
    const sorted = [...rows].sort((a, b) => {
      const x = a[key], y = b[key];
      const c = typeof x === 'number' && typeof y === 'number' ? x - y : String(x).localeCompare(String(y));
      return desc ? -c : c;
    });
    const th = (k: Key, label: string) => {
      const h = el('th', { text: label + (k === key ? (desc ? ' ▾' : ' ▴') : ''), 'data-testid': `trace-sort-${k}` });
      h.addEventListener('click', () => { if (key === k) desc = !desc; else { key = k; desc = k !== 'root'; } renderList(); });
      return h;
    };
    const table = el('table', {}, el('thead', {}, el('tr', {}, th('start', 'start'), th('root', 'root'), th('duration_ms', 'duration'), th('spans', 'spans'), el('th', { text: '' }))));
    const body = el('tbody');
    for (const r of sorted.slice(0, 500)) {
      const id = String(r.trace);
      const has = s ? s.has(id) : false;
      const tr = el('tr', { class: `t-row${id === chosen ? ' sel' : ''}${has ? '' : ' nodata'}`, 'data-testid': 'trace', 'data-trace': id,
        title: has ? `trace ${id}` : `trace ${id} (not kept in this file)` },
      el('td', { text: fmtTime(r.start) }), el('td', { text: r.root }), el('td', { text: fmtMs(r.duration_ms) }),
      el('td', { text: String(r.spans) }), el('td', {}, r.error ? el('span', { class: 'err-flag', text: '● error', 'data-testid': 'trace-error' }) : ''));
      tr.addEventListener('click', () => open(id));
      body.append(tr);
    }
    table.append(body);
    list.replaceChildren(rows.length ? table : el('div', { class: 'empty', text: 'No traces.' }));
  }

  async function open(id: string): Promise<void> {
    const s = src();
    if (!s) return;
    chosen = id;
    renderList();
    wf.replaceChildren(el('div', { class: 'empty', text: 'loading…' }));
    const t = await s.get(id);
    if (chosen !== id) return;
    if (!t || !Array.isArray(t.spans)) { wf.replaceChildren(el('div', { class: 'empty', text: 'This trace is not available.' })); return; }
    renderWaterfall(t);
  }

  function renderWaterfall(t: Trace): void {
    const spans = t.spans.filter((x) => x && typeof x.id === 'string');
    const kids = new Map<string | null, Span[]>();
    const ids = new Set(spans.map((x) => x.id));
    for (const sp of spans) {
      const p = sp.parent !== null && ids.has(sp.parent) ? sp.parent : null;
      let l = kids.get(p);
      if (!l) kids.set(p, (l = []));
      l.push(sp);
    }
    for (const l of kids.values()) l.sort((a, b) => a.start_ms - b.start_ms);
    const orderd: [Span, number][] = [];
    const walk = (p: string | null, depth: number) => {
      for (const sp of kids.get(p) ?? []) {
        if (orderd.length > 2000) return;
        orderd.push([sp, depth]);
        walk(sp.id, depth + 1);
      }
    };
    walk(null, 0);
    const end = Math.max(1e-6, ...spans.map((x) => x.start_ms + x.duration_ms));
    const axis = el('div', { class: 'wf-axis' });
    const stepMs = niceStep(end / 6);
    const track = el('div', { class: 'wf-track' });
    axis.append(el('div', { class: 'wf-name', text: `trace ${t.trace} · ${spans.length} spans`, style: 'position:absolute;left:6px;top:4px;width:234px' }));
    const ticks = el('div', { style: 'position:absolute;left:240px;right:60px;top:0;bottom:0' });
    for (let v = 0; v <= end + 1e-9; v += stepMs) ticks.append(el('span', { text: fmtMs(v), style: `left:${(v / end) * 100}%` }));
    axis.append(ticks);
    void track;
    const body = el('div');
    for (const [sp, depth] of orderd) {
      const left = (sp.start_ms / end) * 100, width = (sp.duration_ms / end) * 100;
      const bar = el('div', { class: `wf-bar${sp.error ? ' err' : ''}`, style: `left:${left}%;width:${width}%;background:${serviceColor(sp.service)}` });
      const dur = el('span', { class: 'wf-dur', text: fmtMs(sp.duration_ms), style: `left:calc(${left + width}% + 4px)` });
      const tip = `${sp.service} · ${sp.name}\n${sp.instance}\n${sp.kind} · start ${sp.start_ms.toFixed(3)} ms · ${sp.duration_ms.toFixed(3)} ms${sp.error ? '\nERROR' : ''}`;
      const row = el('div', { class: 'wf-row', title: tip, 'data-testid': 'span' },
        el('div', { class: 'wf-name', style: `padding-left:${6 + depth * 12}px` },
          el('span', { style: `color:${serviceColor(sp.service)}`, text: sp.service }), el('span', { class: 'muted', text: ` ${sp.name}` })),
        el('div', { class: 'wf-track', style: 'margin-right:60px' }, bar, dur));
      if (sp.error) row.querySelector('.wf-name')!.append(el('span', { class: 'err-flag', text: ' !' }));
      body.append(row);
    }
    wf.replaceChildren(axis, body);
  }

  async function refresh(): Promise<void> {
    const s = src();
    if (!s || !isVisible() || loading) return;
    loading = true;
    try { rows = await s.list(); } catch (e) { console.warn('monkeyhouse: trace list', e); rows = []; }
    loading = false;
    renderList();
  }
  setInterval(() => { if (live() && isVisible()) void refresh(); }, 5000);
  return { refresh: () => { void refresh(); } };
}

function niceStep(x: number): number {
  if (!(x > 0)) return 1;
  const p = Math.pow(10, Math.floor(Math.log10(x)));
  const m = x / p;
  return (m < 1.5 ? 1 : m < 3.5 ? 2 : m < 7.5 ? 5 : 10) * p;
}
