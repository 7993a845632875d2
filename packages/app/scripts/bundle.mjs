// Builds the production bundle in build/bundle: production dependencies only (pnpm deploy --prod,
// from the store; package metadata is fetched when not cached, as on a fresh machine) plus
// server.mjs and cli.mjs, esbuild bundles of our workspace code.
// npm packages stay external and load from the bundle's node_modules; the folder runs alone.
import { execFileSync } from 'node:child_process';
import { rmSync, writeFileSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

const app = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const root = resolve(app, '../..');
const out = join(root, 'build/bundle');

// npm packages stay external, so the app must list every runtime dependency of the workspace
// packages it bundles; otherwise the bundle would fail at start-up, far from the cause.
const appDeps = JSON.parse(readFileSync(join(app, 'package.json'), 'utf8')).dependencies;
for (const pkg of ['packages/adapters', 'packages/domain', 'db']) {
  const deps = JSON.parse(readFileSync(join(root, pkg, 'package.json'), 'utf8')).dependencies ?? {};
  for (const [name, version] of Object.entries(deps)) {
    if (!String(version).startsWith('workspace:') && appDeps[name] !== version)
      throw new Error(`${pkg} depends on ${name}@${version}; add the same version to packages/app/package.json`);
  }
}

rmSync(out, { recursive: true, force: true });
execFileSync('pnpm', ['--filter', '@aquastream/app', 'deploy', '--prod', '--legacy', '--prefer-offline', out], { cwd: root, stdio: 'inherit' });
// The deployed copy of our own sources is not needed: the bundles below carry them.
rmSync(join(out, 'src'), { recursive: true, force: true });
rmSync(join(out, 'scripts'), { recursive: true, force: true });

const ourCodeOnly = {
  name: 'external-npm-packages',
  setup(b) {
    b.onResolve({ filter: /^[^./]/ }, (args) => (args.path.startsWith('@aquastream/') ? undefined : { path: args.path, external: true }));
  },
};

const version = JSON.parse(readFileSync(join(app, 'package.json'), 'utf8')).version ?? '0.0.0';
await build({
  entryPoints: { server: join(app, 'src/main.ts'), cli: join(app, 'src/cli/main.ts') },
  outdir: out,
  outExtension: { '.js': '.mjs' },
  bundle: true,
  platform: 'node',
  target: 'node20',
  format: 'esm',
  sourcemap: 'linked',
  plugins: [ourCodeOnly],
  define: { 'process.env.BUNDLED': '"true"' },
  logLevel: 'warning',
});
writeFileSync(join(out, 'BUILD'), `backend-event ${version} built ${new Date().toISOString()}\n`);
console.log(`bundle written to ${out}`);
