/** Reads a V8 .cpuprofile (node --cpu-prof) and sums self time per function and per package. */
import { readFileSync } from 'node:fs';
import { SourceMap } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

interface CallFrame {
  functionName: string;
  url: string;
  lineNumber: number;
  columnNumber: number;
}
interface ProfileNode {
  id: number;
  callFrame: CallFrame;
}
interface CpuProfile {
  nodes: ProfileNode[];
  startTime: number;
  endTime: number;
  samples: number[];
  timeDeltas: number[];
}

export interface ProfileEntry {
  function: string;
  location: string;
  category: string;
  selfMs: number;
  /** Percent of the busy (non-idle) time. */
  percent: number;
}

export interface ProfileSummary {
  file: string;
  totalMs: number;
  idleMs: number;
  busyMs: number;
  top: ProfileEntry[];
  categories: { category: string; selfMs: number; percent: number }[];
}

const sourceMaps = new Map<string, SourceMap | null>();

function mapFor(file: string): SourceMap | null {
  if (!sourceMaps.has(file)) {
    try {
      sourceMaps.set(file, new SourceMap(JSON.parse(readFileSync(`${file}.map`, 'utf8'))));
    } catch {
      sourceMaps.set(file, null);
    }
  }
  return sourceMaps.get(file) ?? null;
}

function packageOf(file: string): string | undefined {
  const i = file.lastIndexOf('/node_modules/');
  if (i < 0) return undefined;
  const parts = file.slice(i + '/node_modules/'.length).split('/');
  return parts[0]?.startsWith('@') ? `${parts[0]}/${parts[1]}` : parts[0];
}

/** Where a frame comes from, with bundled frames mapped back to their TypeScript source. */
function locate(frame: CallFrame, root: string): { location: string; category: string } {
  const { url, lineNumber, columnNumber, functionName } = frame;
  if (!url) {
    if (functionName === '(garbage collector)') return { location: '', category: 'V8: garbage collector' };
    if (functionName === '(program)') return { location: '', category: 'V8: program (native, unattributed)' };
    if (functionName === '(idle)') return { location: '', category: 'idle' };
    return { location: '', category: 'native / builtins' };
  }
  if (url.startsWith('node:')) return { location: `${url}:${lineNumber + 1}`, category: 'node core' };
  const file = url.startsWith('file:') ? fileURLToPath(url) : url;
  const pkg = packageOf(file);
  if (pkg) return { location: `${pkg}/${file.slice(file.lastIndexOf(`/${pkg}/`) + pkg.length + 2)}:${lineNumber + 1}`, category: pkg };
  const map = file.endsWith('.mjs') || file.endsWith('.js') ? mapFor(file) : null;
  const entry = map?.findEntry(lineNumber, columnNumber) as { originalSource?: string; originalLine?: number } | undefined;
  if (entry?.originalSource) {
    const original = entry.originalSource.startsWith('file:') ? fileURLToPath(entry.originalSource) : path.resolve(path.dirname(file), entry.originalSource);
    const rel = path.relative(root, original);
    const ws = /^packages\/([^/]+)\//.exec(rel)?.[1] ?? (rel.startsWith('db/') ? 'db' : undefined);
    const originPkg = packageOf(original);
    const category = originPkg ?? (ws ? `@aquastream/${ws}` : 'bundle');
    return { location: `${rel}:${(entry.originalLine ?? 0) + 1}`, category };
  }
  const rel = path.relative(root, file);
  const ws = /^packages\/([^/]+)\//.exec(rel)?.[1] ?? (rel.startsWith('db/') ? 'db' : undefined);
  return { location: `${rel}:${lineNumber + 1}`, category: ws ? `@aquastream/${ws}` : 'other' };
}

export function summarizeProfile(file: string, root: string, topN = 20): ProfileSummary {
  const profile = JSON.parse(readFileSync(file, 'utf8')) as CpuProfile;
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const selfUs = new Map<number, number>();
  // Sample i lasts until sample i+1 (timeDeltas[i+1]), as in Chrome DevTools.
  for (let i = 0; i < profile.samples.length; i++) {
    const dt = profile.timeDeltas[i + 1] ?? 0;
    const id = profile.samples[i]!;
    selfUs.set(id, (selfUs.get(id) ?? 0) + dt);
  }
  const functions = new Map<string, { function: string; location: string; category: string; us: number }>();
  const categories = new Map<string, number>();
  let idleUs = 0;
  let totalUs = 0;
  for (const [id, us] of selfUs) {
    const node = byId.get(id);
    if (!node) continue;
    totalUs += us;
    const { location, category } = locate(node.callFrame, root);
    if (category === 'idle') {
      idleUs += us;
      continue;
    }
    const name = node.callFrame.functionName || '(anonymous)';
    const key = `${name}@${location}`;
    const f = functions.get(key) ?? { function: name, location, category, us: 0 };
    f.us += us;
    functions.set(key, f);
    categories.set(category, (categories.get(category) ?? 0) + us);
  }
  const busyUs = totalUs - idleUs;
  const pct = (us: number) => (busyUs > 0 ? (100 * us) / busyUs : 0);
  return {
    file,
    totalMs: totalUs / 1000,
    idleMs: idleUs / 1000,
    busyMs: busyUs / 1000,
    top: [...functions.values()]
      .sort((a, b) => b.us - a.us)
      .slice(0, topN)
      .map((f) => ({ function: f.function, location: f.location, category: f.category, selfMs: f.us / 1000, percent: pct(f.us) })),
    categories: [...categories.entries()].sort((a, b) => b[1] - a[1]).map(([category, us]) => ({ category, selfMs: us / 1000, percent: pct(us) })),
  };
}
