export type * from './schema';
export { migrations } from './migrations/index';
export * from './migrator';
