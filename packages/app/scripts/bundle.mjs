// Builds the production bundle in build/bundle: production dependencies only (pnpm deploy --prod,
// from the store; package metadata is fetched when not cached, as on a fresh machine) plus
// server.mjs and cli.mjs, esbuild bundles of our workspace code.
// npm packages stay external and load from the bundle's node_modules (but for BUNDLED below); the folder runs alone.
import { execFileSync } from 'node:child_process';
import { cpSync, mkdirSync, rmSync, symlinkSync, writeFileSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { builtinModules } from 'node:module';
import { parseArgs } from 'node:util';
import { build } from 'esbuild';

const app = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const root = resolve(app, '../..');
// `--out <dir> --deps-from <bundle>` builds only our code into <dir> and links the dependencies of
// an existing bundle instead of deploying them again (seconds instead of half a minute): the
// upgrade test builds its planted breaks from copies of the sources this way.
const { values: args } = parseArgs({ options: { out: { type: 'string' }, 'deps-from': { type: 'string' } } });
const out = resolve(args.out ?? join(root, 'build/bundle'));
const depsFrom = args['deps-from'] && resolve(args['deps-from']);

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
if (depsFrom) {
  mkdirSync(out, { recursive: true });
  symlinkSync(join(depsFrom, 'node_modules'), join(out, 'node_modules'));
  cpSync(join(depsFrom, 'package.json'), join(out, 'package.json'));
  cpSync(join(app, 'proto'), join(out, 'proto'), { recursive: true });
} else {
  execFileSync('pnpm', ['--filter', '@aquastream/app', 'deploy', '--prod', '--legacy', '--prefer-offline', out], { cwd: root, stdio: 'inherit' });
  // The deployed copy of our own sources is not needed: the bundles below carry them.
  rmSync(join(out, 'src'), { recursive: true, force: true });
  rmSync(join(out, 'scripts'), { recursive: true, force: true });
}

// Pure-JS packages of many small files are bundled too: loading the ~500 files of these (kysely
// alone has 257 modules) took a third of start-up in Node's module loader. The rest stay external:
// OpenTelemetry instruments pg, ioredis, undici and gRPC by hooking their loading, PGlite reads its
// wasm next to itself, and zod must be one copy shared with fastify-type-provider-zod.
const BUNDLED = new Set(['kysely', 'kafkajs', 'jose', 'cockatiel', 'fast-jwt', 'lru-cache']);
const packageName = (path) =>
  path
    .split('/')
    .slice(0, path.startsWith('@') ? 2 : 1)
    .join('/');
const isBuiltin = (path) => path.startsWith('node:') || builtinModules.includes(packageName(path));
const ourCodeOnly = {
  name: 'external-npm-packages',
  setup(b) {
    b.onResolve({ filter: /^[^./]/ }, (args) => {
      if (isBuiltin(args.path)) return { path: args.path, external: true };
      // Our workspace packages, the listed ones, and whatever a bundled package itself imports.
      if (args.path.startsWith('@aquastream/') || BUNDLED.has(packageName(args.path)) || args.importer.includes('/node_modules/')) return undefined;
      return { path: args.path, external: true };
    });
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
  // CommonJS packages bundled into ESM (kafkajs) require Node's built-ins.
  banner: { js: "import { createRequire as __bundleRequire } from 'node:module'; const require = __bundleRequire(import.meta.url);" },
  logLevel: 'warning',
});
// Node decodes an ES module's source to a two-byte string when the file holds one non-ASCII
// character, and keeps it: twice the bytes of the file. esbuild writes code in ASCII (its default
// charset escapes strings, regexes and names), so what remains are characters of comments it keeps
// (kysely's JSDoc has no-break spaces): each becomes a space, one code unit for one, so the source
// map's columns still hold. About 2 MB of RSS on Node 24 (process.memoryUsage().external).
for (const bundled of ['server.mjs', 'cli.mjs']) {
  const file = join(out, bundled);
  const text = readFileSync(file, 'utf8');
  if (/[^\x00-\x7f]/.test(text)) writeFileSync(file, text.replace(/[^\x00-\x7f]/g, ' '));
}
writeFileSync(join(out, 'BUILD'), `backend-event ${version} built ${new Date().toISOString()}\n`);
console.log(`bundle written to ${out}`);
