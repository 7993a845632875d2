/**
 * The release this code is (CHANGELOG.md, releases.json): in `/actuator/info`, on every log line
 * (`service.version`), on every span (the `service.version` resource attribute) and in the OpenAPI
 * document. `release-identity.test.ts` keeps it equal to package.json, the chart's appVersion and
 * the image label's default.
 */
export const VERSION = '0.1.0';
