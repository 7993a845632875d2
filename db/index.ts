export type * from './schema';
export { CONTRACT_MIGRATIONS, migrations } from './migrations/index';
export * from './migrator';
export * from './migration-helpers';
