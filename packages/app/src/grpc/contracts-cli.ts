/**
 * The contract snapshot, from the command line (run from packages/app):
 *   pnpm exec tsx src/grpc/contracts-cli.ts check                      what changed; exit 1 on a breaking change
 *   pnpm exec tsx src/grpc/contracts-cli.ts snapshot                   refresh contracts/ after adding fields or methods
 *   pnpm exec tsx src/grpc/contracts-cli.ts snapshot --allow-breaking  accept a breaking change (a new major version, a sunset)
 * Run `pnpm openapi` first when a REST route changed: the REST part is read from openapi.json.
 */
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { dirname, relative } from 'node:path';
import { breaking, compareContracts, currentContracts, formatChanges, readSnapshot, renderSnapshot, REPO_ROOT, SNAPSHOT_PATH } from './contracts';

function main(args: string[]): number {
  const [command = 'check', ...flags] = args;
  const current = currentContracts();
  const where = relative(REPO_ROOT, SNAPSHOT_PATH);
  const changes = existsSync(SNAPSHOT_PATH) ? compareContracts(readSnapshot(), current) : [];
  const broken = breaking(changes);
  if (changes.length) process.stdout.write(`Changes against ${where}:\n${formatChanges(changes)}\n`);
  else process.stdout.write(`No change against ${where}.\n`);

  if (command === 'check') return broken.length ? 1 : 0;
  if (command === 'snapshot') {
    if (broken.length && !flags.includes('--allow-breaking')) {
      process.stderr.write(`\nRefusing to record ${broken.length} breaking change(s); clients of the current contract would break.\nRe-run with --allow-breaking only if that is intended.\n`);
      return 1;
    }
    mkdirSync(dirname(SNAPSHOT_PATH), { recursive: true });
    writeFileSync(SNAPSHOT_PATH, renderSnapshot(current));
    process.stdout.write(`Wrote ${where}.\n`);
    return 0;
  }
  process.stderr.write('usage: contracts-cli.ts check | snapshot [--allow-breaking]\n');
  return 2;
}

process.exitCode = main(process.argv.slice(2));
