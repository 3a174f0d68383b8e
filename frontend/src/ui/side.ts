// Right-hand panel: what is selected, and (live) the chaos controls.
import type { LiveSource } from '../sources';
import type { Store } from '../store';
import { $, el, fmtMs, fmtPct, fmtRate, fmtTime } from '../util';
import { toast } from './toast';

export function initSide(store: Store, live: () => LiveSource | null, select: (name: string) => void): void {
  const side = $('#side');
  const details = el('div', { id: 'details' });
  const controls = el('div', { id: 'controls' });
  const faults = el('div', { id: 'faults-box' });
  const log = el('div', { id: 'chaos-log' });
  side.append(details, controls, faults, log);

  const chip = (name: string) => {
    const c = el('span', { class: 'chip', text: name, title: `select ${name}` });
    c.addEventListener('click', () => select(name));
    return c;
  };
  const row = (k: string, v: string | Node, cls = 'num') => el('tr', {}, el('td', { text: k }), (() => {
    const td = el('td', { class: cls });
    td.append(v);
    return td;
  })());

  function renderDetails(): void {
    const sel = store.selection, topo = store.topo;
    details.replaceChildren();
    if (!sel) {
      details.append(el('div', { class: 'title', text: store.arch || 'monkeyhouse' }));
      const entry = store.entryService();
      const t = el('table');
      t.append(row('services', String(topo.services.length)), row('edges', String(topo.edges.length)),
        row('instances up', String(store.liveCount)),
        row('regions / zones', `${topo.regions.length} / ${topo.zones.length}`));
      if (entry >= 0) {
        t.append(row('front door', chip(topo.services[entry].name), ''),
          row('requests', `${fmtRate(store.rate[entry])}/s`), row('errors', `${fmtRate(store.errors[entry])}/s (${fmtPct(store.errorShare(entry))})`),
          row('p50 / p99', `${fmtMs(store.p50[entry])} / ${fmtMs(store.p99[entry])}`));
      }
      details.append(t);
      // the worst services right now
      const worst = topo.services.map((s) => s.id).filter((s) => store.errorShare(s) > 0.005)
        .sort((a, b) => store.errorShare(b) - store.errorShare(a)).slice(0, 8);
      if (worst.length) {
        details.append(el('h2', { text: 'Most errors' }));
        const w = el('table');
        for (const s of worst) w.append(row('', chip(topo.services[s].name), ''), );
        w.querySelectorAll('tr').forEach((tr, i) => { tr.firstElementChild!.textContent = fmtPct(store.errorShare(worst[i])); });
        details.append(w);
      }
      details.append(el('div', { class: 'muted', text: 'Click a node to select it; wheel to zoom, drag to pan, double-click to fit.' }));
      return;
    }
    if (sel.kind === 'instance') {
      const i = topo.instances[sel.id];
      if (!i) return;
      const s = topo.services[i.service];
      details.append(el('h2', { text: 'Instance' }), el('div', { class: 'title', text: i.name }));
      const t = el('table');
      t.append(row('service', chip(s.name), ''), row('package', s.package, ''), row('region', i.region, ''), row('zone', i.zone, ''),
        row('born', `${i.born.toFixed(2)} s`), row('status', store.alive[i.id] ? 'up' : `dead${i.died !== null ? ' at ' + i.died.toFixed(2) + ' s' : ''}`, store.alive[i.id] ? 'good' : 'bad'),
        row('service rate', `${fmtRate(store.rate[s.id])}/s`), row('service p99', fmtMs(store.p99[s.id])));
      details.append(t);
      return;
    }
    const s = topo.services[sel.id];
    if (!s) return;
    details.append(el('h2', { text: 'Service' }), el('div', { class: 'title', text: s.name }));
    const t = el('table');
    t.append(row('package', s.package, ''), row('tier', String(s.tier)), row('instances up', String(store.svcLive[s.id])),
      row('requests', `${fmtRate(store.rate[s.id])}/s`),
      row('errors', `${fmtRate(store.errors[s.id])}/s (${fmtPct(store.errorShare(s.id))})`, store.errorShare(s.id) > 0.05 ? 'num bad' : 'num'),
      row('p50 / p99', `${fmtMs(store.p50[s.id])} / ${fmtMs(store.p99[s.id])}`));
    if (store.breakerOpen[s.id] > 0) t.append(row('breakers', `open on ${fmtPct(store.breakerOpen[s.id])} of callers`, 'bad'));
    details.append(t);
    const callers = topo.edges.filter((e) => e.target === s.id && e.source !== s.id).map((e) => topo.services[e.source].name);
    const callees = topo.edges.filter((e) => e.source === s.id).map((e) => topo.services[e.target].name);
    if (callers.length) details.append(el('h2', { text: `Called by (${callers.length})` }), el('div', { class: 'chips' }, ...callers.slice(0, 40).map(chip)));
    if (callees.length) details.append(el('h2', { text: `Calls (${callees.length})` }), el('div', { class: 'chips' }, ...callees.slice(0, 40).map(chip)));
    const cmds = store.commands.filter((c) => c.caller === s.name || c.dependency === s.name);
    if (cmds.length) {
      details.append(el('h2', { text: 'Circuits' }));
      const ct = el('table');
      for (const c of cmds.slice(0, 20)) {
        const state = c.open > 0 ? 'Open' : c.half_open > 0 ? 'Half-open' : 'Closed';
        ct.append(row(c.name, `${state} · ${fmtPct(c.error_share)}`, c.open > 0 ? 'bad' : c.half_open > 0 ? '' : 'good'));
      }
      details.append(ct);
    }
  }

  // ---------------------------------------------------------------- live controls
  let controlsKey = '';
  function renderControls(): void {
    const src = live();
    const sel = store.selection;
    const key = `${store.mode}|${sel?.kind}|${sel?.id}|${store.topoVersion}|${[...store.chaosActions].join()}`;
    if (key === controlsKey) return;
    controlsKey = key;
    controls.replaceChildren();
    if (store.mode !== 'live' || !src) return;
    const can = (a: string) => store.chaosActions.size === 0 || store.chaosActions.has(a);
    const topo = store.topo;
    controls.append(el('h2', { text: 'Chaos' }));
    if (!sel) controls.append(el('div', { class: 'muted', text: 'Select a service to kill or slow it, or an instance to kill it.' }));
    if (sel?.kind === 'instance') {
      const inst = topo.instances[sel.id];
      const b = el('button', { class: 'danger', 'data-testid': 'kill-instance', text: 'Kill instance' });
      b.disabled = !can('kill_instance');
      b.addEventListener('click', () => src.send({ type: 'chaos', action: 'kill_instance', instance: inst.name }, `kill ${inst.name}`));
      controls.append(el('div', { class: 'row' }, b));
    }
    if (sel?.kind === 'service') {
      const s = topo.services[sel.id];
      const k1 = el('button', { class: 'danger', 'data-testid': 'kill-instances', text: 'Kill 1 instance' });
      k1.disabled = !can('kill_instances');
      k1.addEventListener('click', () => src.send({ type: 'chaos', action: 'kill_instances', service: s.name, count: 1 }, `kill 1 of ${s.name}`));
      controls.append(el('div', { class: 'row' }, k1));
      const lat = el('input', { type: 'number', min: '0', step: '100', value: '2000', 'data-testid': 'latency-ms' });
      const err = el('input', { type: 'number', min: '0', max: '1', step: '0.05', value: '0', 'data-testid': 'error-share' });
      const caller = el('select', { 'data-testid': 'latency-caller' }, el('option', { value: '', text: 'all callers' }),
        ...topo.edges.filter((e) => e.target === s.id && e.source !== s.id).map((e) => el('option', { value: topo.services[e.source].name, text: topo.services[e.source].name })));
      const slow = el('button', { class: 'danger', 'data-testid': 'slow-service', text: 'Slow service' });
      slow.disabled = !can('add_latency');
      slow.addEventListener('click', () => {
        const ms = Number(lat.value), share = Number(err.value);
        if (!(ms >= 0) || !(share >= 0 && share <= 1)) { alertBad('latency must be ≥ 0 and error share 0..1'); return; }
        const msg: Record<string, unknown> = { type: 'chaos', action: 'add_latency', service: s.name, latency_ms: ms, error_rate: share };
        if (caller.value) msg.caller = caller.value;
        src.send(msg, `slow ${s.name} +${ms} ms`);
      });
      controls.append(el('div', { class: 'form' }, el('label', { text: 'latency ms' }), lat, el('label', { text: 'error share' }), err,
        el('label', { text: 'from' }), caller), el('div', { class: 'row' }, slow));
    }
    // zones and regions
    const zoneSel = el('select', { 'data-testid': 'zone-select' }, ...topo.zones.map((z) => el('option', { value: z, text: z })));
    const regionSel = el('select', { 'data-testid': 'region-select' }, ...topo.regions.map((r) => el('option', { value: r, text: r })));
    const fz = el('button', { class: 'danger', 'data-testid': 'fail-zone', text: 'Take zone down' });
    fz.disabled = !can('fail_zone') || !topo.zones.length;
    fz.addEventListener('click', () => {
      const z = zoneSel.value;
      const slash = z.indexOf('/');
      const region = slash >= 0 ? z.slice(0, slash) : (topo.instances.find((i) => i.zone === z)?.region ?? '');
      const zone = slash >= 0 ? z.slice(slash + 1) : z;
      src.send({ type: 'chaos', action: 'fail_zone', region, zone }, `zone ${z} down`);
    });
    const fr = el('button', { class: 'danger', 'data-testid': 'fail-region', text: 'Take region down' });
    fr.disabled = !can('fail_region') || !topo.regions.length;
    fr.addEventListener('click', () => src.send({ type: 'chaos', action: 'fail_region', region: regionSel.value }, `region ${regionSel.value} down`));
    controls.append(el('h2', { text: 'Zones and regions' }),
      el('div', { class: 'form' }, el('label', { text: 'zone' }), zoneSel, el('span'), fz, el('label', { text: 'region' }), regionSel, el('span'), fr));
    const places = [...topo.regions, ...topo.zones];
    const pa = el('select', { 'data-testid': 'partition-a' }, ...places.map((p) => el('option', { value: p, text: p })));
    const pb = el('select', { 'data-testid': 'partition-b' }, ...places.map((p) => el('option', { value: p, text: p })));
    if (places.length > 1) pb.selectedIndex = Math.min(places.length - 1, topo.regions.length + 1);
    const pbtn = el('button', { class: 'danger', 'data-testid': 'partition', text: 'Partition' });
    pbtn.disabled = !can('partition') || places.length < 2;
    pbtn.addEventListener('click', () => {
      if (pa.value === pb.value) { alertBad('pick two different places to partition'); return; }
      src.send({ type: 'chaos', action: 'partition', a: pa.value, b: pb.value }, `partition ${pa.value} | ${pb.value}`);
    });
    controls.append(el('h2', { text: 'Network partition' }),
      el('div', { class: 'form' }, el('label', { text: 'a' }), pa, el('label', { text: 'b' }), pb, el('span'), pbtn));
  }

  const alertBad = (m: string) => toast(m, 'err');

  let faultsKey = '';
  function renderFaults(): void {
    const src = live();
    const key = JSON.stringify(store.faults) + store.mode;
    if (key === faultsKey) return;
    faultsKey = key;
    faults.replaceChildren();
    if (store.mode !== 'live' || !store.faults.length) return;
    faults.append(el('h2', { text: 'Faults' }));
    const ul = el('ul', { class: 'faults', 'data-testid': 'faults' });
    for (const f of [...store.faults].reverse().slice(0, 40)) {
      const li = el('li', { class: f.active ? '' : 'inactive', 'data-testid': 'fault', 'data-fault': String(f.id) },
        el('span', { text: `#${f.id} ${f.kind} ${f.target} · since ${fmtTime(f.since)}` }));
      if (f.active && src) {
        const b = el('button', { 'data-testid': 'remove-fault', text: 'Remove' });
        b.addEventListener('click', () => src.send({ type: 'chaos', action: 'remove_fault', fault: f.id }, `remove fault #${f.id}`));
        li.append(b);
      } else li.append(el('span', { class: 'muted', text: f.active ? 'active' : 'ended' }));
      ul.append(li);
    }
    faults.append(ul);
  }

  let logLen = -1;
  function renderLog(): void {
    if (store.chaos.length === logLen) return;
    logLen = store.chaos.length;
    log.replaceChildren();
    if (!store.chaos.length) return;
    log.append(el('h2', { text: 'Chaos log' }));
    const box = el('div', { class: 'log' });
    for (const c of store.chaos.slice(-60).reverse()) {
      box.append(el('div', {}, `${fmtTime(c.time)} `, el('b', { text: c.action }), ` ${c.target}${c.detail ? ' — ' + c.detail : ''}`));
    }
    log.append(box);
  }

  let pending = false;
  const schedule = () => {
    if (pending) return;
    pending = true;
    setTimeout(() => { pending = false; renderAll(); }, 250);
  };
  function renderAll(): void {
    try { renderDetails(); renderControls(); renderFaults(); renderLog(); } catch (e) { console.error('monkeyhouse: side panel', e); }
  }
  store.on('select', renderAll);
  store.on('topology', renderAll);
  store.on('meta', schedule);
  store.on('tick', schedule);
  store.on('instances', schedule);
  renderAll();
}
