// Circuits tab: one card per Hystrix command, in the Hystrix dashboard's visual language.
import type { Store } from '../store';
import type { Command } from '../types';
import { el, fmtMs, fmtRate, hystrixColor } from '../util';

type SortKey = 'error' | 'volume' | 'name';
const SVGNS = 'http://www.w3.org/2000/svg';

interface Card {
  root: HTMLElement; circle: SVGCircleElement; spark: SVGPolylineElement; err: HTMLElement;
  counts: Record<string, HTMLElement>; host: HTMLElement; cluster: HTMLElement; hosts: HTMLElement;
  state: HTMLElement; lat: Record<string, HTMLElement>; pool: HTMLElement;
}

export function initCircuits(pane: HTMLElement, tools: HTMLElement, store: Store, isVisible: () => boolean,
  spark: (c: Command) => number[], select: (name: string) => void): { refresh(): void } {
  let sort: SortKey = 'error';
  const sorter = el('span', { class: 'seg', id: 'circuit-sort' }, 'Sort ');
  const mk = (k: SortKey, label: string) => {
    const b = el('button', { 'data-testid': `sort-${k}`, text: label, class: k === sort ? 'on' : '' });
    b.addEventListener('click', () => {
      sort = k;
      sorter.querySelectorAll('button').forEach((x) => x.classList.toggle('on', x === b));
      refresh(true);
    });
    return b;
  };
  sorter.append(mk('error', 'Error'), mk('volume', 'Volume'), mk('name', 'Alphabetical'));
  const filter = el('input', { type: 'text', placeholder: 'filter', 'data-testid': 'circuit-filter', size: '12' });
  filter.addEventListener('input', () => refresh(true));
  const note = el('span', { class: 'muted', id: 'circuit-note' });
  tools.append(el('span', { id: 'circuit-tools', class: 'seg' }, note, filter, sorter));

  const grid = el('div', { class: 'cards', 'data-testid': 'circuits' });
  const empty = el('div', { class: 'empty', text: 'No Hystrix commands (no protected calls in this architecture yet).' });
  pane.append(grid, empty);
  const cards = new Map<string, Card>();

  function makeCard(c: Command): Card {
    const root = el('div', { class: 'card', 'data-testid': 'command', 'data-command': c.name });
    const svg = document.createElementNS(SVGNS, 'svg');
    svg.setAttribute('width', '70'); svg.setAttribute('height', '52');
    const circle = document.createElementNS(SVGNS, 'circle');
    circle.setAttribute('cx', '26'); circle.setAttribute('cy', '26');
    circle.setAttribute('fill-opacity', '0.55');
    const sp = document.createElementNS(SVGNS, 'polyline');
    sp.setAttribute('fill', 'none'); sp.setAttribute('stroke', '#c9d1d9'); sp.setAttribute('stroke-width', '1');
    svg.append(circle, sp);
    const cnt = (cls: string, title: string) => el('span', { class: cls, title });
    const counts = {
      success: cnt('c-success', 'success'), short: cnt('c-short', 'short-circuited'), bad: cnt('c-bad', 'bad request'),
      timeout: cnt('c-timeout', 'timeout'), rejected: cnt('c-rejected', 'rejected (thread pool + semaphore)'), failure: cnt('c-failure', 'failure'),
    };
    const err = el('div', { class: 'errpct' });
    const counters = el('div', { class: 'counters' }, counts.success, counts.timeout, counts.short, counts.rejected, counts.bad, counts.failure);
    const host = el('b'), cluster = el('b'), hosts = el('b');
    const state = el('span', { 'data-testid': 'circuit-state' });
    const lat: Record<string, HTMLElement> = {};
    const latCell = (k: string, label: string) => el('span', {}, `${label} `, (lat[k] = el('b')));
    const pool = el('div', { class: 'pool' });
    root.append(
      el('div', { class: 'head' }, el('div', { class: 'name', text: c.name, title: `${c.caller} → ${c.dependency}` })),
      el('div', { class: 'top' }, svg, el('div', {}, counters, err)),
      el('div', { class: 'kv' }, el('span', {}, 'Host: ', host), el('span', {}, 'Cluster: ', cluster)),
      el('div', { class: 'kv' }, el('span', {}, 'Circuit ', state), el('span', {}, 'Hosts ', hosts)),
      el('div', { class: 'lat' }, latCell('p90', '90th'), latCell('p99', '99th'), latCell('p99.5', '99.5th'),
        latCell('p50', 'Median'), latCell('mean', 'Mean'), latCell('p100', 'Max')),
      pool,
    );
    root.addEventListener('click', () => select(c.dependency));
    return { root, circle, spark: sp, err, counts, host, cluster, hosts, state, lat, pool };
  }

  function update(card: Card, c: Command): void {
    const col = hystrixColor(c.error_share);
    const r = Math.max(5, Math.min(24, 5 + 4.5 * Math.log10(1 + (c.rate || 0))));
    card.circle.setAttribute('r', r.toFixed(1));
    card.circle.setAttribute('fill', col);
    card.circle.setAttribute('stroke', col);
    const pts = spark(c);
    if (pts.length > 1) {
      const max = Math.max(1e-9, ...pts);
      const step = 66 / (pts.length - 1);
      card.spark.setAttribute('points', pts.map((v, i) => `${(2 + i * step).toFixed(1)},${(48 - (v / max) * 30).toFixed(1)}`).join(' '));
    } else card.spark.setAttribute('points', '');
    const k = c.counts ?? ({} as Command['counts']);
    card.counts.success.textContent = String(k.success ?? 0);
    card.counts.short.textContent = String(k.short_circuited ?? 0);
    card.counts.bad.textContent = '0';
    card.counts.timeout.textContent = String(k.timeout ?? 0);
    card.counts.rejected.textContent = String((k.thread_pool_rejected ?? 0) + (k.semaphore_rejected ?? 0));
    card.counts.failure.textContent = String(k.failure ?? 0);
    card.err.textContent = `${((c.error_share || 0) * 100).toFixed(1)} %`;
    card.err.style.color = col;
    const hosts = Math.max(0, c.hosts || 0);
    card.host.textContent = `${fmtRate(hosts ? c.rate / hosts : 0)}/s`;
    card.cluster.textContent = `${fmtRate(c.rate || 0)}/s`;
    card.hosts.textContent = String(hosts);
    const state = c.open > 0 ? 'Open' : c.half_open > 0 ? 'Half-open' : 'Closed';
    card.state.textContent = state;
    card.state.className = state === 'Open' ? 'state-open' : state === 'Half-open' ? 'state-half' : 'state-closed';
    card.state.title = c.open > 0 && c.hosts > 1 ? `open on ${c.open} of ${c.hosts} hosts` : '';
    const L = c.latency_ms ?? {};
    for (const key of Object.keys(card.lat)) card.lat[key].textContent = fmtMs(L[key]);
    const p = c.pool;
    card.pool.textContent = p ? `Pool · Active ${p.active} · Queued ${p.queued} · Size ${p.size}` : `Concurrency ${c.concurrency ?? 0}`;
    card.root.classList.toggle('sel', !!store.selection && store.selection.kind === 'service' && store.topo.services[store.selection.id]?.name === c.dependency);
  }

  const MAX_CARDS = 120;
  let lastSortAt = 0;
  let order: string[] = [];
  let lastCount = -1;
  function refresh(force = false): void {
    if (!isVisible() && !force) return;
    const cmds = store.commands;
    const q = filter.value.trim().toLowerCase();
    const matching = q ? cmds.filter((c) => c.name.toLowerCase().includes(q)) : cmds;
    empty.hidden = cmds.length > 0;
    const byName = new Map(matching.map((c) => [c.name, c]));
    // choose and order the cards at most every 2 s, so they do not jump under the pointer
    const now = performance.now();
    if (force || now - lastSortAt > 2000 || lastCount !== matching.length || order.some((n) => !byName.has(n))) {
      lastSortAt = now;
      lastCount = matching.length;
      const sorted = [...matching].sort(sort === 'name' ? (a, b) => a.name.localeCompare(b.name)
        : sort === 'volume' ? (a, b) => b.rate - a.rate || a.name.localeCompare(b.name)
          : (a, b) => +(b.open > 0) - +(a.open > 0) || b.error_share - a.error_share || (b.open - a.open) || b.rate - a.rate || a.name.localeCompare(b.name));
      order = sorted.slice(0, MAX_CARDS).map((c) => c.name);
      const keep = new Set(order);
      for (const [name, card] of cards) if (!keep.has(name)) { card.root.remove(); cards.delete(name); }
      const frag = document.createDocumentFragment();
      for (const name of order) {
        let card = cards.get(name);
        if (!card) { card = makeCard(byName.get(name)!); cards.set(name, card); }
        frag.append(card.root);
      }
      grid.append(frag);
    }
    for (const name of order) update(cards.get(name)!, byName.get(name)!);
    const replayNote = store.mode === 'replay' || store.mode === 'offline' ? replayText(store.commandsAsOf) : '';
    const more = matching.length > order.length ? `showing ${order.length} of ${matching.length} (filter to narrow)` : '';
    note.textContent = [more, replayNote].filter(Boolean).join(' · ');
  }
  let pending = false;
  store.on('tick', () => {
    if (pending) return;
    pending = true;
    setTimeout(() => { pending = false; refresh(); }, cards.size > 200 ? 600 : 250);
  });
  store.on('topology', () => refresh(true));
  store.on('select', () => refresh());
  return { refresh: () => refresh(true) };
}

/** What the cards show in a replay: as at t per metrics interval, or end-of-run totals. */
function replayText(asOf: number | null): string {
  if (asOf === null) return 'counters at the end of the run · circuit state at t';
  if (asOf < 0) return 'as at t · no metrics interval has ended yet';
  return `as at t · per metrics interval: counts in the one ending at ${asOf.toFixed(1)} s, ` +
    'circuits then, error % over the rolling 10 s';
}
