import { defineConfig } from 'vite';

// One JS file and one CSS file, relative URLs (the page also works when the
// back end inlines them into a single offline HTML file).
export default defineConfig({
  base: './',
  build: {
    outDir: '../src/monkeyhouse/web/static',
    emptyOutDir: true,
    target: 'es2020',
    cssCodeSplit: false,
    assetsInlineLimit: 100_000,
    modulePreload: false,
    rollupOptions: {
      output: {
        codeSplitting: false,
        entryFileNames: 'assets/index-[hash].js',
        assetFileNames: 'assets/index-[hash][extname]',
      },
    },
  },
  server: {
    host: '127.0.0.1',
    proxy: {
      '/api': 'http://127.0.0.1:8766',
      '/ws': { target: 'ws://127.0.0.1:8766', ws: true },
    },
  },
});
