// The domain's test fakes and builders (`@aquastream/domain/testing`): for tests only, never for
// production code. The in-memory store is held to the real adapters by the repository contract
// suite (packages/adapters/src/contract).
export * from './fakes';
export * from './memory-store';
export * from './builders';
