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
      comment: 'The domain stands alone; only its tests may use the in-memory adapters.',
      severity: 'error',
      from: { path: '^packages/domain/src', pathNot: '\\.test\\.ts$' },
      to: { path: '^(packages/(adapters|app)|db)/' },
    },
    {
      name: 'domain-tests-use-only-memory-adapters',
      severity: 'error',
      from: { path: '^packages/domain/src/.+\\.test\\.ts$' },
      to: { path: '^(packages/(adapters|app)|db)/', pathNot: '^packages/adapters/src/(memory|system)/' },
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
