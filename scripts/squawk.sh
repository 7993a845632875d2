#!/usr/bin/env bash
# Squawk (squawk-cli, pinned in package.json) lints the SQL every migration runs: the migrations
# run through the project's runner on a real PostgreSQL (DATABASE_URL's server, or one started
# here), their statements land in build/migrations-sql/<migration>.sql, and squawk checks them with
# .squawk.toml; the dump itself checks what Squawk has no rule for (one busy table's lock-taking
# DDL per transaction). An exception carries its reason next to its statement
# (db/squawk-exceptions.ts, or a `-- squawk-ignore` comment in the migration's own SQL).
set -uo pipefail
cd "$(dirname "$0")/.."
status=0
pnpm exec tsx db/tools/migration-sql.ts build/migrations-sql || status=$?
if compgen -G 'build/migrations-sql/*.sql' > /dev/null; then
  pnpm exec squawk --config .squawk.toml build/migrations-sql/*.sql || status=$?
else
  status=1
fi
exit $status
