/** @type {import('jest').Config} */
module.exports = {
  testEnvironment: 'node',
  roots: ['<rootDir>/test'],
  testMatch: ['**/*.spec.ts'],
  // The cluster tier runs on its own (npm run test:cluster): it builds and runs a Temporal cluster.
  testPathIgnorePatterns: ['/node_modules/', '<rootDir>/test/cluster/'],
  transform: {
    '^.+\\.ts$': ['ts-jest', { diagnostics: false }],
  },
  setupFiles: ['<rootDir>/test/support/quietTemporal.ts'],
  globalSetup: '<rootDir>/test/support/globalSetup.ts',
  // Integration tests start real servers; every wait inside them has its own, shorter bound.
  testTimeout: 120_000,
  // Each test file starts its own Temporal dev server and chDB directory; two at a time fits 2 cores.
  maxWorkers: 2,
  reporters: ['default', '<rootDir>/test/support/summaryReporter.js'],
};
