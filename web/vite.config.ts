import { resolve } from 'node:path';
import { defineConfig } from 'vite';
import { svelte } from '@sveltejs/vite-plugin-svelte';

const root = import.meta.dirname;

export default defineConfig({
  root,
  plugins: [svelte()],
  build: {
    outDir: resolve(root, 'dist'),
    emptyOutDir: true,
    sourcemap: true,
    rollupOptions: {
      input: {
        index: resolve(root, 'index.html'),
        call: resolve(root, 'call.html'),
        family: resolve(root, 'family.html'),
        console: resolve(root, 'console.html'),
      },
    },
  },
  server: { fs: { allow: [resolve(root, '..')] } },
});
