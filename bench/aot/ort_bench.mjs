// ONNX Runtime (onnxruntime-node, CPU) on the AOT benchmark's models and inputs (tiny = y = x + 1,
// MLP and CNN at batch 1 and 64), for
// bench/aot/run.sh: session creation, first run, per-call latency (median, p90), and the
// largest relative difference from strata's AOT output on the same input.
//
//   node ort_bench.mjs ORT_PREFIX MODELS_DIR DATA_DIR [threads...] [--seconds=S]
//
// ORT_PREFIX is where `npm install --ignore-scripts onnxruntime-node@1.30.0` ran. Thread counts
// are explicit: intraOpNumThreads = N, interOpNumThreads = 1, sequential execution, all graph
// optimizations. session.run() is asynchronous in Node (N-API + a libuv hop); the Identity
// model's latency is that per-call floor, printed so it can be told apart from compute.
import { createRequire } from 'module';
import { readFileSync } from 'fs';

const args = process.argv.slice(2);
const seconds = Number((args.find((a) => a.startsWith('--seconds=')) || '--seconds=1').split('=')[1]);
const [prefix, modelsDir, dataDir, ...rest] = args.filter((a) => !a.startsWith('--'));
const threads = rest.length ? rest.map(Number) : [1];
const ort = createRequire(`${prefix}/`)('onnxruntime-node');

const cases = [
  { name: 'tiny_b1', model: 'tiny', dims: [1, 784], fetch: 'y' },
  { name: 'mlp_b1', model: 'mlp', dims: [1, 784] },
  { name: 'mlp_b64', model: 'mlp', dims: [64, 784] },
  { name: 'cnn_b1', model: 'cnn', dims: [1, 1, 28, 28] },
  { name: 'cnn_b64', model: 'cnn', dims: [64, 1, 28, 28] },
];

function floats(path) {
  const b = readFileSync(path);
  return new Float32Array(b.buffer, b.byteOffset, b.byteLength / 4);
}
const ms = (t0) => Number(process.hrtime.bigint() - t0) / 1e6;
function percentile(xs, q) {
  const s = [...xs].sort((a, b) => a - b);
  const pos = q * (s.length - 1);
  const lo = Math.floor(pos);
  return lo + 1 < s.length ? s[lo] + (pos - lo) * (s[lo + 1] - s[lo]) : s[lo];
}

async function measure(path, feeds, nThreads) {
  const t0 = process.hrtime.bigint();
  const session = await ort.InferenceSession.create(path, {
    intraOpNumThreads: nThreads, interOpNumThreads: 1, executionMode: 'sequential', graphOptimizationLevel: 'all',
  });
  const create = ms(t0);
  const t1 = process.hrtime.bigint();
  const first = await session.run(feeds);
  const firstRun = ms(t1);
  for (let i = 0; i < 5; ++i) await session.run(feeds);
  const times = [];
  const end = Date.now() + seconds * 1000;
  while (times.length < 5 || (Date.now() < end && times.length < 100000)) {
    const t = process.hrtime.bigint();
    await session.run(feeds);
    times.push(ms(t));
  }
  return { create, firstRun, first, median: percentile(times, 0.5), p90: percentile(times, 0.9), runs: times.length };
}

console.log(`ONNX Runtime ${ort.env.versions.common} (onnxruntime-node), ${seconds} s per case`);
console.log('case     threads | create ms  first ms |   med us    p90 us |  floor us | max rel diff vs AOT');
for (const n of threads) {
  for (const c of cases) {
    const x = floats(`${dataDir}/x_${c.name}.bin`);
    const r = await measure(`${modelsDir}/${c.model}.onnx`, { x: new ort.Tensor('float32', x, c.dims) }, n);
    const ident = await measure(`${modelsDir}/identity.onnx`, { x: new ort.Tensor('float32', new Float32Array(c.dims[0] * 784), [c.dims[0], 784]) }, n);
    const ours = floats(`${dataDir}/out_${c.name}.bin`);
    const theirs = r.first[c.fetch || 'probs'].data;
    let maxDiff = 0, maxRef = 0;
    for (let i = 0; i < ours.length; ++i) {
      maxDiff = Math.max(maxDiff, Math.abs(ours[i] - theirs[i]));
      maxRef = Math.max(maxRef, Math.abs(ours[i]));
    }
    console.log(`${c.name.padEnd(8)} ${String(n).padStart(7)} | ${r.create.toFixed(2).padStart(9)} ${r.firstRun.toFixed(3).padStart(9)} | ` +
      `${(r.median * 1e3).toFixed(2).padStart(8)} ${(r.p90 * 1e3).toFixed(2).padStart(9)} | ${(ident.median * 1e3).toFixed(2).padStart(9)} | ${(maxDiff / maxRef).toExponential(1)}`);
  }
}
