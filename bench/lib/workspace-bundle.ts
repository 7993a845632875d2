/**
 * A stand-in for build/bundle when the production bundle cannot start because a package is missing
 * from it: the same esbuild bundle of packages/app/src/main.ts (same options as
 * packages/app/scripts/bundle.mjs), next to a node_modules of links to the packages the workspace
 * packages depend on. Same code, same runtime; only where npm packages are found differs.
 */
import { existsSync, mkdirSync, readdirSync, realpathSync, symlinkSync } from 'node:fs';
import path from 'node:path';
import { build } from 'esbuild';
import { ROOT } from './settings';

export async function buildWorkspaceBundle(outDir: string): Promise<string> {
  mkdirSync(outDir, { recursive: true });
  await build({
    entryPoints: { server: path.join(ROOT, 'packages/app/src/main.ts') },
    outdir: outDir,
    outExtension: { '.js': '.mjs' },
    bundle: true,
    platform: 'node',
    target: 'node20',
    format: 'esm',
    sourcemap: 'linked',
    plugins: [
      {
        name: 'external-npm-packages',
        setup(b) {
          b.onResolve({ filter: /^[^./]/ }, (args) => (args.path.startsWith('@aquastream/') ? undefined : { path: args.path, external: true }));
        },
      },
    ],
    define: { 'process.env.BUNDLED': '"true"' },
    logLevel: 'warning',
  });
  const modules = path.join(outDir, 'node_modules');
  mkdirSync(modules, { recursive: true });
  const link = (name: string, target: string) => {
    const at = path.join(modules, name);
    if (existsSync(at)) return;
    mkdirSync(path.dirname(at), { recursive: true });
    symlinkSync(realpathSync(target), at, 'dir');
  };
  for (const pkg of ['app', 'adapters', 'db', 'domain']) {
    const dir = path.join(ROOT, 'packages', pkg, 'node_modules');
    if (!existsSync(dir)) continue;
    for (const entry of readdirSync(dir)) {
      if (entry.startsWith('.')) continue;
      if (entry.startsWith('@')) for (const scoped of readdirSync(path.join(dir, entry))) link(`${entry}/${scoped}`, path.join(dir, entry, scoped));
      else link(entry, path.join(dir, entry));
    }
  }
  return path.join(outDir, 'server.mjs');
}
