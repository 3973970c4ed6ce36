/**
 * The cluster tier (`npm run test:cluster`): the service scaled out on a Temporal cluster in a
 * production layout (frontend, history, matching and worker as separate processes) on PostgreSQL.
 * @type {import('jest').Config}
 */
module.exports = {
  rootDir: '../..',
  testEnvironment: 'node',
  roots: ['<rootDir>/test/cluster'],
  testMatch: ['**/*.cluster.spec.ts'],
  transform: {
    '^.+\\.ts$': ['ts-jest', { diagnostics: false }],
  },
  setupFiles: ['<rootDir>/test/support/quietTemporal.ts'],
  globalSetup: '<rootDir>/test/cluster/globalSetup.ts',
  // Every wait inside a test has its own, shorter bound.
  testTimeout: 300_000,
  // One cluster at a time: each file runs nine server processes and four of the service on two cores.
  maxWorkers: 1,
  reporters: ['default', '<rootDir>/test/support/summaryReporter.js'],
};
