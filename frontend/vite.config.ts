import { defineConfig, type Plugin } from 'vite';
import { svelte } from '@sveltejs/vite-plugin-svelte';
import { cpSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { resolve } from 'node:path';

const root = fileURLToPath(new URL('.', import.meta.url));

// pdf.js fetches its standard fonts and wasm decoders at run time by URL; copy
// them beside the app instead of bundling them, so the main bundle stays small.
function pdfjsAssets(): Plugin {
  return {
    name: 'phonghop-pdfjs-assets',
    apply: 'build',
    writeBundle() {
      const src = resolve(root, 'node_modules/pdfjs-dist');
      const out = resolve(root, 'dist/pdfjs');
      cpSync(resolve(src, 'standard_fonts'), resolve(out, 'standard_fonts'), { recursive: true });
      cpSync(resolve(src, 'wasm'), resolve(out, 'wasm'), { recursive: true });
      cpSync(resolve(src, 'iccs'), resolve(out, 'iccs'), { recursive: true });
      // dist/.keep is committed so go:embed always finds the directory in a fresh clone.
      writeFileSync(resolve(root, 'dist/.keep'), '');
    },
  };
}

export default defineConfig({
  plugins: [svelte(), pdfjsAssets()],
  base: '/',
  build: {
    outDir: 'dist',
    emptyOutDir: true,
    target: 'es2022',
    chunkSizeWarningLimit: 1500,
  },
  server: {
    proxy: {
      '/api': { target: process.env.PHONGHOP_DEV_API ?? 'http://localhost:8080', ws: true },
    },
  },
  test: {
    include: ['test/**/*.test.ts'],
    environment: 'node',
  },
});
