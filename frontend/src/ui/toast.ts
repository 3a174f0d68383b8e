// Brief notices in the corner (acks, errors, chaos); at most a handful at once.
import { $ } from '../util';

export function toast(text: string, kind: 'ok' | 'err' | 'info' | 'chaos' = 'info'): void {
  const box = $('#toasts');
  const t = document.createElement('div');
  t.className = `toast ${kind}`;
  t.setAttribute('data-testid', `toast-${kind}`);
  t.textContent = text;
  box.append(t);
  while (box.children.length > 5) box.firstElementChild?.remove();
  setTimeout(() => t.remove(), kind === 'err' ? 6000 : 3500);
}
