/**
 * The cluster tier (`npm run test:cluster`): the service scaled out on a Temporal cluster in a
 * production layout (frontend, history, matching and worker as separate processes) on PostgreSQL.
 * The suite's own configuration, but for its files, its global setup and its bounds.
 * @type {import('jest').Config}
 */
const { projects, ...suite } = require('../../jest.config.js');
const engines = projects.find((project) => project.displayName === 'engines');

module.exports = {
  ...suite,
  ...engines,
  displayName: 'cluster',
  rootDir: '../..',
  roots: ['<rootDir>/test/cluster'],
  testMatch: ['**/*.cluster.spec.ts'],
  testPathIgnorePatterns: ['/node_modules/'],
  globalSetup: '<rootDir>/test/cluster/globalSetup.ts',
  // Every wait inside a test has its own, shorter bound.
  testTimeout: 300_000,
  // One cluster at a time: each file runs nine server processes and four of the service on two cores.
  maxWorkers: 1,
};
