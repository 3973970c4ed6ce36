/** @type {import('jest').Config} */
const common = {
  testEnvironment: 'node',
  testMatch: ['**/*.spec.ts'],
  // The cluster tier runs on its own (npm run test:cluster): it builds and runs a Temporal cluster.
  testPathIgnorePatterns: ['/node_modules/', '<rootDir>/test/cluster/'],
  transform: {
    '^.+\\.ts$': ['ts-jest', { diagnostics: false }],
  },
  setupFiles: ['<rootDir>/test/support/quietTemporal.ts'],
};

module.exports = {
  projects: [
    // In-process, over in-memory stand-ins: seconds, no Temporal, no ClickHouse (npm run test:unit).
    { ...common, displayName: 'unit', roots: ['<rootDir>/test/unit'] },
    {
      ...common,
      displayName: 'engines',
      roots: ['<rootDir>/test'],
      testPathIgnorePatterns: [...common.testPathIgnorePatterns, '<rootDir>/test/unit/'],
      globalSetup: '<rootDir>/test/support/globalSetup.ts',
    },
  ],
  // Integration tests start real servers; every wait inside them has its own, shorter bound.
  testTimeout: 120_000,
  // Each test file starts its own Temporal dev server and chDB directory; two at a time fits 2 cores.
  maxWorkers: 2,
  reporters: ['default', '<rootDir>/test/support/summaryReporter.js'],
};
