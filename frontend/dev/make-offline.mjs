// Dev-only: build one self-contained offline HTML file (what `monkeyhouse render --html`
// is expected to produce): the built JS and CSS inlined, the replay document embedded
// in <script id="mh-data" type="application/json">.
//   node dev/make-offline.mjs [fixture] [out.html]
import { readFileSync, readdirSync, writeFileSync, mkdirSync } from 'node:fs';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { makeReplay } from './fixtures.mjs';

const here = dirname(fileURLToPath(import.meta.url));
const fixture = process.argv[2] ?? 'netflixoss';
const out = process.argv[3] ?? join(here, 'out', `${fixture}.offline.html`);
const dir = join(here, '../../src/monkeyhouse/web/static');
const assets = readdirSync(join(dir, 'assets'));
const js = readFileSync(join(dir, 'assets', assets.find((f) => f.endsWith('.js'))), 'utf8');
const css = readFileSync(join(dir, 'assets', assets.find((f) => f.endsWith('.css'))), 'utf8');
let html = readFileSync(join(dir, 'index.html'), 'utf8');
const { doc } = makeReplay(fixture);
// JSON inside <script>: only "</" needs escaping
const data = JSON.stringify(doc).replace(/<\//g, '<\\/');
html = html.replace(/<script type="module"[^>]*><\/script>\s*/, '')
  .replace(/<link rel="stylesheet"[^>]*>\s*/, '')
  .replace('</head>', () => `<style>${css}</style>\n</head>`)
  .replace('</body>', () => `<script id="mh-data" type="application/json">${data}</script>\n<script type="module">${js.replace(/<\/script/g, '<\\/script')}</script>\n</body>`);
mkdirSync(dirname(out), { recursive: true });
writeFileSync(out, html);
console.log(`wrote ${out} (${(html.length / 1024).toFixed(0)} KiB)`);
