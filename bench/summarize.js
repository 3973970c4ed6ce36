// Prints the (a) scenarios of the runs bench/compare.sh and bench/floor/ladder.sh collected: for
// each label (a directory of result files) and level, every run's ratio to its own no-op baseline,
// their mean and spread, and the commands per second of the service and of its baseline.
// Usage: node bench/summarize.js <out dir> <label>...
const fs = require('node:fs');
const path = require('node:path');

const [out, ...labels] = process.argv.slice(2);
const mean = (values) => values.reduce((sum, value) => sum + value, 0) / values.length;
for (const label of labels) {
  const dir = path.join(out, label);
  const runs = fs
    .readdirSync(dir)
    .filter((file) => file.endsWith('.json'))
    .sort()
    .map((file) => JSON.parse(fs.readFileSync(path.join(dir, file), 'utf8')));
  console.log(`\n${label} (${runs.length} runs, commit ${runs[0]?.commit ?? '?'})`);
  const levels = [...new Set(runs.flatMap((run) => run.scenarios.filter((s) => s.name.startsWith('commands over HTTP')).map((s) => s.name)))];
  for (const level of levels) {
    const scenarios = runs.map((run) => run.scenarios.find((s) => s.name === level)).filter(Boolean);
    const ratios = scenarios.map((s) => s.ratio);
    const rates = scenarios.map((s) => `${s.throughput.toFixed(0)}/${s.baseline.throughput.toFixed(0)}`).join(', ');
    console.log(
      `  ${level.replace('commands over HTTP, ', '').padEnd(15)} ratio ${ratios.map((r) => r.toFixed(2)).join(', ')}` +
        ` (mean ${mean(ratios).toFixed(2)}, spread ${(Math.max(...ratios) - Math.min(...ratios)).toFixed(2)}); cmd/s ours/baseline ${rates}`,
    );
    for (const s of scenarios) console.log(`                  ${s.note.replace(/^.*CPU ms per command: /, 'CPU ms per command: ')}`);
  }
}
