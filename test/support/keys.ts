/** The keys every test service accepts, one per role. */
export const TEST_KEYS = {
  admin: 'test-admin-key-0123456789',
  write: 'test-write-key-0123456789',
  read: 'test-read-key-01234567890',
} as const;
