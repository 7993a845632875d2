/**
 * Production bundles of other code than this checkout's: an earlier release's, built from git
 * history (cached per commit under build/releases/), and a patched copy of this checkout's sources
 * (the upgrade test's planted breaks), built outside the tree.
 */
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, renameSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { BUNDLE_DIR, ROOT } from './bundle';
import { runCommand } from './services/process';

export interface Release {
  version: string;
  commit: string;
}

// Used when releases.json (the record of releases at the repository root) is absent: release 0.1.0
// is the landed state 075a8f0, the first release the side-by-side rule is kept from (issue #22).
const FIRST_RELEASE: Release = { version: '0.1.0', commit: '075a8f078f294b2c34ed24179d5a24434a33094a' };

const semver = (v: string) => v.split(/[.+-]/).slice(0, 3).map(Number);
const newer = (a: Release, b: Release) => {
  const [x, y] = [semver(a.version), semver(b.version)];
  for (let i = 0; i < 3; i++) if (x[i] !== y[i]) return (x[i] ?? 0) > (y[i] ?? 0);
  return false;
};

/**
 * The release this checkout must run beside: UPGRADE_FROM (a version in releases.json, or a commit)
 * when set, else the newest release in releases.json, else 0.1.0.
 */
export function previousRelease(): Release {
  const file = path.join(ROOT, 'releases.json');
  const releases: Release[] = existsSync(file) ? (JSON.parse(readFileSync(file, 'utf8')) as Release[]) : [FIRST_RELEASE];
  if (releases.length === 0) throw new Error('releases.json lists no release');
  const wanted = process.env.UPGRADE_FROM;
  if (wanted) return releases.find((r) => r.version === wanted) ?? { version: wanted, commit: wanted };
  return releases.reduce((a, b) => (newer(b, a) ? b : a));
}

async function run(command: string, args: string[], cwd: string): Promise<{ ok: boolean; output: string }> {
  const r = await runCommand(command, args, { cwd, env: { ...process.env, CI: 'true' } }).catch((error: Error) => ({
    code: -1,
    stdout: '',
    stderr: String(error),
  }));
  return { ok: r.code === 0, output: `${r.stdout}${r.stderr}` };
}

async function must(command: string, args: string[], cwd: string, what: string): Promise<void> {
  const r = await run(command, args, cwd);
  if (!r.ok) throw new Error(`${what} failed (\`${command} ${args.join(' ')}\` in ${cwd}):\n${r.output.slice(-4_000)}`);
}

/** The full commit id of `release`, fetching history when this clone lacks it (a shallow CI clone). */
async function commitOf(release: Release): Promise<string> {
  const resolve = () => run('git', ['rev-parse', '--verify', '--quiet', `${release.commit}^{commit}`], ROOT);
  let found = await resolve();
  if (!found.ok) {
    const shallow = (await run('git', ['rev-parse', '--is-shallow-repository'], ROOT)).output.trim() === 'true';
    const tries = shallow
      ? [
          ['fetch', '--unshallow', '--quiet'],
          ['fetch', '--quiet', 'origin', release.commit],
        ]
      : [['fetch', '--quiet', 'origin', release.commit]];
    for (const args of tries) {
      if ((await run('git', args, ROOT)).ok && (found = await resolve()).ok) break;
    }
  }
  if (!found.ok)
    throw new Error(
      `release ${release.version} (commit ${release.commit}) is not in this clone and could not be fetched: ` +
        `the upgrade test builds that release from git history. Fetch it (\`git fetch --unshallow\` on a shallow clone, ` +
        `or \`git fetch origin ${release.commit}\`), or check the commit in releases.json.`,
    );
  return found.output.trim();
}

/**
 * The production bundle of `release`, built from its commit (git archive, pnpm install, pnpm
 * bundle) on first use and kept in build/releases/<version>-<commit>/bundle: reruns reuse it.
 */
export async function releaseBundle(release: Release, log: (line: string) => void = () => undefined): Promise<string> {
  const commit = await commitOf(release);
  const home = path.join(ROOT, 'build', 'releases', `${release.version}-${commit.slice(0, 12)}`);
  const bundle = path.join(home, 'bundle');
  const done = path.join(home, 'COMMIT');
  if (existsSync(done) && readFileSync(done, 'utf8').trim() === commit && existsSync(path.join(bundle, 'server.mjs'))) return bundle;
  log(`building release ${release.version} (${commit.slice(0, 12)}) from git history into ${path.relative(ROOT, bundle)}`);
  rmSync(home, { recursive: true, force: true });
  const source = path.join(home, 'source');
  mkdirSync(source, { recursive: true });
  await must('sh', ['-c', `git -C "${ROOT}" archive --format=tar ${commit} | tar -x -C "${source}"`], ROOT, `extracting ${commit}`);
  // The shared pnpm store usually has every package already; a fresh machine downloads them.
  if (!(await run('pnpm', ['install', '--frozen-lockfile', '--offline'], source)).ok)
    await must('pnpm', ['install', '--frozen-lockfile'], source, 'pnpm install');
  await must('pnpm', ['bundle'], source, `pnpm bundle of release ${release.version}`);
  renameSync(path.join(source, 'build', 'bundle'), bundle);
  rmSync(source, { recursive: true, force: true });
  writeFileSync(done, `${commit}\n`);
  return bundle;
}

/** A file edit of a planted copy: `find` must occur in the file (else the plant is stale and says so). */
export interface SourceEdit {
  file: string;
  find?: string | RegExp;
  replace?: string;
  /** Writes the whole file (a new file, e.g. a migration). */
  content?: string;
}

/**
 * Copies this checkout's sources (packages, db) to a temporary folder, applies `edits` there and
 * builds its production bundle beside them, with the dependencies of build/bundle (which must be
 * built). The real tree is never touched. Returns the bundle folder and a cleanup.
 */
export async function patchedBundle(name: string, edits: SourceEdit[]): Promise<{ dir: string; remove(): void }> {
  const tmp = mkdtempSync(path.join(tmpdir(), `upgrade-${name}-`));
  for (const entry of ['packages', 'db', 'package.json', 'pnpm-workspace.yaml'])
    cpSync(path.join(ROOT, entry), path.join(tmp, entry), { recursive: true, verbatimSymlinks: true });
  // The packages' own node_modules are relative links into the root's .pnpm store: link that.
  symlinkSync(path.join(ROOT, 'node_modules'), path.join(tmp, 'node_modules'));
  for (const edit of edits) {
    const file = path.join(tmp, edit.file);
    if (edit.content !== undefined) {
      writeFileSync(file, edit.content);
      continue;
    }
    const before = readFileSync(file, 'utf8');
    const after = before.replace(edit.find!, edit.replace!);
    if (after === before)
      throw new Error(`planted break "${name}" no longer applies: ${edit.file} has no ${String(edit.find)}; update the plant to the code as it is now`);
    writeFileSync(file, after);
  }
  const dir = path.join(tmp, 'bundle');
  // Awaited: a plant started before its build finished found no server.mjs (planted (c) starts
  // its new replica beside the previous release at once).
  await must(
    process.execPath,
    [path.join(tmp, 'packages/app/scripts/bundle.mjs'), '--out', dir, '--deps-from', BUNDLE_DIR],
    tmp,
    `bundle of planted break "${name}"`,
  );
  return { dir, remove: () => rmSync(tmp, { recursive: true, force: true }) };
}
