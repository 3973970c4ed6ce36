/**
 * The OpenAPI document tells the truth about the running service. Schemathesis, a property-based
 * OpenAPI tool (test/support/schemathesis.ts), drives the whole stack from its /openapi.json with
 * every check it has and every phase: the documented examples, the coverage of each schema's
 * boundaries and of methods a path does not take, fuzzing, and stateful sequences along the
 * documented links. The run passes with no failure but those test/conformance/exceptions.py names
 * and explains (rules JSON Schema cannot state, such as a cursor only the API issues).
 */
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { projectRoot } from '../../src/paths';
import { call } from '../support/http';
import { ensureSchemathesis } from '../support/schemathesis';
import { startTestStack, tempDir, TEST_KEYS, TestStack } from '../support/stack';

/** Test cases per operation and phase; the run takes a few minutes on two cores. */
const MAX_EXAMPLES = process.env.CONFORMANCE_EXAMPLES ?? '100';
const RUN_TIMEOUT_MS = 25 * 60_000;

let stack: TestStack;
let scratch: string;

beforeAll(async () => {
  // The run sends hundreds of requests without a key, or with a wrong one, on purpose: the limit on
  // failed authentications would otherwise refuse its own key for the rest of each minute.
  stack = await startTestStack({ env: { AUTH_FAILURES_PER_MINUTE: '0' } });
  scratch = tempDir('conformance');
  for (const orderId of ['order-001', 'conformance-1']) {
    await call(stack.apiUrl, 'POST', '/orders', { json: { orderId, customerId: 'customer-123', items: [{ productId: 'p', quantity: 1, price: 2.5 }] } });
  }
});

afterAll(async () => {
  await stack?.stop();
  if (scratch) fs.rmSync(scratch, { recursive: true, force: true });
});

function run(command: string[], env: Record<string, string>): Promise<{ code: number | null; output: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(command[0], command.slice(1), { cwd: scratch, env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.on('data', (chunk) => (output += chunk));
    child.stderr.on('data', (chunk) => (output += chunk));
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`schemathesis did not finish within ${RUN_TIMEOUT_MS / 60_000} minutes:\n${output.slice(-5000)}`));
    }, RUN_TIMEOUT_MS);
    child.once('error', reject);
    child.once('exit', (code) => {
      clearTimeout(timer);
      resolve({ code, output });
    });
  });
}

it(
  'finds the running service true to its document, with every check and every phase',
  async () => {
    const tool = ensureSchemathesis((message) => process.stderr.write(`${message}\n`));
    const excused = path.join(scratch, 'excused.txt');
    const { code, output } = await run(
      [
        ...tool.command,
        'run',
        `${stack.apiUrl}/openapi.json`,
        '--checks=all',
        '--phases=examples,coverage,fuzzing,stateful',
        `--header=Authorization: Bearer ${TEST_KEYS.admin}`,
        `--max-examples=${MAX_EXAMPLES}`,
        // One worker: with two, Python 3.11's ast module races inside Hypothesis (a tool error, not a finding).
        '--workers=1',
        '--generation-database=none',
        '--no-color',
      ],
      { ...tool.env, SCHEMATHESIS_HOOKS: path.join(projectRoot(), 'test', 'conformance', 'exceptions.py'), CONFORMANCE_EXCUSED: excused },
    );
    const counts = fs.existsSync(excused)
      ? Object.entries(
          fs
            .readFileSync(excused, 'utf8')
            .split('\n')
            .filter(Boolean)
            .reduce<Record<string, number>>((tally, name) => ({ ...tally, [name]: (tally[name] ?? 0) + 1 }), {}),
        )
      : [];
    const summary = output.slice(output.lastIndexOf('SUMMARY'));
    if (code !== 0) throw new Error(`schemathesis exited ${code}:\n${output.slice(-20_000)}`);
    expect(summary).toMatch(/Examples[\s\S]*Coverage[\s\S]*Fuzzing[\s\S]*Stateful/);
    expect(summary).not.toMatch(/❌|🚫/);
    process.stderr.write(`conformance: ${summary.split('\n').slice(0, 30).join('\n')}\nexcused: ${JSON.stringify(Object.fromEntries(counts))}\n`);
  },
  RUN_TIMEOUT_MS + 60_000,
);
