/**
 * The architecture, enforced: dependencies point inward only (app -> adapters -> domain), the
 * domain does no I/O, and there are no cycles. `pnpm arch` runs it; CI fails on any violation.
 */

module.exports = {
  forbidden: [
    {
      name: 'domain-is-pure',
      comment: 'The domain imports no library that does I/O, and no node built-in that does.',
      severity: 'error',
      from: { path: '^packages/domain/src', pathNot: '\\.test\\.ts$' },
      to: { dependencyTypes: ['npm', 'npm-dev', 'npm-optional', 'npm-peer', 'core'], pathNot: '^$' },
    },
    {
      name: 'domain-imports-no-workspace-package',
      comment: 'The domain stands alone, its tests too: they run on its own fakes (src/testing).',
      severity: 'error',
      from: { path: '^packages/domain/src' },
      to: { path: '^(packages/(adapters|app)|db)/' },
    },
    {
      name: 'fakes-are-for-tests',
      comment: 'The in-memory store, the hand-moved clock and the builders never reach production code.',
      severity: 'error',
      from: { path: '^packages/(domain|adapters|app)/src/', pathNot: '(\\.test\\.ts$|^packages/domain/src/testing/|^packages/adapters/src/contract/)' },
      to: { path: '^packages/domain/src/testing/' },
    },
    {
      name: 'adapters-never-import-app',
      severity: 'error',
      from: { path: '^packages/adapters/' },
      to: { path: '^packages/app/' },
    },
    {
      name: 'db-is-schema-only',
      severity: 'error',
      from: { path: '^db/', pathNot: '\\.test\\.ts$' },
      to: { path: '^packages/' },
    },
    {
      name: 'no-circular',
      comment: 'No cycle, type-only imports included: a module and what it imports never depend on each other.',
      severity: 'error',
      from: {},
      to: { circular: true },
    },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    exclude: { path: '(node_modules|dist|build)/' },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
    combinedDependencies: true,
    enhancedResolveOptions: { exportsFields: ['exports'], conditionNames: ['import', 'default', 'types'], extensions: ['.ts', '.js'] },
  },
};
