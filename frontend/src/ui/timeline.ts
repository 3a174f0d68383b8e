// Replay timeline: play/pause, speed, scrubber with chaos markers, migration steps.
import type { ReplayController } from '../sources';
import { $, el, fmtTime } from '../util';

export function initTimeline(rc: ReplayController): void {
  const box = $('#timeline');
  box.hidden = false;
  const play = el('button', { 'data-testid': 'replay-play', text: '▶ Play' });
  const speed = el('select', { 'data-testid': 'replay-speed', title: 'replay speed' },
    ...[0.5, 1, 2, 5, 10, 30].map((x) => el('option', { value: String(x), text: `${x}×` })));
  speed.value = '1';
  const dur = rc.duration;
  const range = el('input', { type: 'range', min: '0', max: String(dur), step: String(dur > 600 ? 1 : 0.1), value: String(rc.t), 'data-testid': 'scrubber' });
  const label = el('span', { 'data-testid': 'replay-time', style: 'min-width:110px;font-variant-numeric:tabular-nums' });
  const markers = el('div', { class: 'markers' });
  for (const c of rc.store.chaos) {
    if (!(c.time >= 0) || !(dur > 0)) continue;
    const kind = /kill|fail|down|latency|partition/i.test(c.action) ? 'kill' : /restore|remove|heal/i.test(c.action) ? 'heal' : '';
    const m = el('div', { class: `marker ${kind}`, 'data-testid': 'chaos-marker', style: `left:${(c.time / dur) * 100}%`,
      title: `${fmtTime(c.time)} ${c.action} ${c.target}${c.detail ? '\n' + c.detail : ''}` });
    m.addEventListener('click', () => { rc.pause(); rc.at(c.time); sync(); });
    markers.append(m);
  }
  const scrub = el('div', { class: 'scrub' }, markers, range);
  box.append(play, speed, scrub, label);

  play.addEventListener('click', () => { if (rc.playing) rc.pause(); else rc.play(); });
  speed.addEventListener('change', () => { rc.speed = Number(speed.value) || 1; });
  range.addEventListener('input', () => { rc.at(Number(range.value)); sync(); });

  let stepLabel: HTMLElement | null = null;
  if (rc.hasSteps()) {
    const prev = el('button', { 'data-testid': 'step-prev', text: '◀', title: 'previous step' });
    const next = el('button', { 'data-testid': 'step-next', text: '▶', title: 'next step' });
    stepLabel = el('span', { id: 'step-label', 'data-testid': 'step-label' });
    const n = rc.stepCount();
    prev.addEventListener('click', () => {
      const k = rc.stepIdx;
      rc.setStep(k === null ? n - 1 : k === 0 ? null : k - 1);
      sync();
    });
    next.addEventListener('click', () => {
      const k = rc.stepIdx;
      rc.setStep(k === null ? 0 : k >= n - 1 ? null : k + 1);
      sync();
    });
    box.append(el('div', { class: 'steps' }, prev, stepLabel, next));
  }

  function sync(): void {
    play.textContent = rc.playing ? '❚❚ Pause' : '▶ Play';
    if (document.activeElement !== range || !rc.playing) range.value = String(rc.t);
    label.textContent = `${fmtTime(rc.t)} / ${fmtTime(dur)}`;
    if (stepLabel) stepLabel.textContent = rc.stepLabel();
  }
  rc.onChange = sync;
  rc.store.on('tick', sync);
  sync();
}
