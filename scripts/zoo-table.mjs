// The architecture zoo's table, measured by the project's own CLI: every preset that stores
// "results" is trained by its recipe (one epoch for seed-001, whose recipe is the course's ten)
// on MNIST and Fashion-MNIST with `convplay train --backend cpu`, tested on all 10,000 test
// images, and its preset's "results" line for that data set is rewritten with the figures.
// Prints the table docs/benchmarks.md shows.
//
//   node scripts/zoo-table.mjs [--train-limit N] [--threads N] [--only NAME,…] [--machine TEXT] [--dry-run]
//
// Needs the release CLI (`cargo build --release -p convplay`); CARGO_TARGET_DIR is honoured.
// A long run: on 2 cores every preset on both data sets takes about half an hour.

import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

const args = process.argv.slice(2);
const flag = (name, fallback) => {
  const i = args.indexOf(`--${name}`);
  if (i < 0) return fallback;
  const value = args[i + 1];
  if (value === undefined || value.startsWith('--')) throw new Error(`--${name} needs a value`);
  return value;
};
const trainLimit = Number(flag('train-limit', '0'));
const threads = Number(flag('threads', String(os.availableParallelism())));
const only = flag('only', '')
  .split(',')
  .filter((s) => s);
const dryRun = args.includes('--dry-run');
const machine = flag(
  'machine',
  `${threads}-thread CPU (${os.cpus()[0]?.model.trim() ?? 'unknown'}), ${Math.round(os.totalmem() / 2 ** 30)} GiB`,
);
if (!Number.isInteger(trainLimit) || trainLimit < 0 || trainLimit > 60000) {
  throw new Error(`--train-limit ${trainLimit}: give 0 (all 60,000) or a count up to 60,000`);
}
if (!Number.isInteger(threads) || threads < 1) throw new Error(`--threads ${threads}: give at least 1`);

const target = process.env.CARGO_TARGET_DIR ?? 'target';
const cli = path.join(target, 'release', 'convplay');
if (!fs.existsSync(cli)) throw new Error(`${cli} is missing: run cargo build --release -p convplay first`);

const folder = 'www/public/presets';
const presets = fs
  .readdirSync(folder)
  .filter((f) => f.endsWith('.json'))
  .map((f) => ({ name: f.slice(0, -5), file: path.join(folder, f) }))
  .filter((p) => fs.readFileSync(p.file, 'utf8').includes('"results"'))
  .filter((p) => only.length === 0 || only.includes(p.name));
const unknown = only.filter((n) => !presets.some((p) => p.name === n));
if (unknown.length) throw new Error(`no zoo preset (one with "results") named ${unknown.join(', ')}`);

const rows = [];
for (const preset of presets) {
  const row = { name: preset.name };
  for (const dataset of ['mnist', 'fashion-mnist']) {
    const run = [
      'train',
      '--spec',
      preset.name,
      '--dataset',
      dataset,
      '--backend',
      'cpu',
      '--threads',
      String(threads),
    ];
    run.push('--train-limit', String(trainLimit), '--seed', '1');
    if (preset.name === 'seed-001') run.push('--epochs', '1');
    const out = execFileSync(cli, run, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] });
    const header = out.match(/(\d+) train \/ (\d+) test images/);
    const epochs = [...out.matchAll(/^epoch (\d+): .*test accuracy ([\d.]+)%, (\d+) img\/s$/gm)];
    const last = epochs[epochs.length - 1];
    if (!header || !last) throw new Error(`${preset.name} on ${dataset}: the CLI printed no epoch line:\n${out}`);
    const total = epochs.reduce((s, m) => s + Number(m[3]), 0);
    const result = {
      epochs: epochs.length,
      train_images: Number(header[1]),
      test_images: Number(header[2]),
      test_accuracy: Number((Number(last[2]) / 100).toFixed(4)),
      img_per_s: Math.round(total / epochs.length),
      threads,
      machine,
      seed: 1,
    };
    row[dataset] = result;
    console.error(
      `${preset.name} on ${dataset}: ${last[2]}% after ${epochs.length} epoch(s), ${result.img_per_s} img/s`,
    );
    if (!dryRun) {
      const text = fs.readFileSync(preset.file, 'utf8');
      const line = new RegExp(`^(\\s*)"${dataset}": \\{[^\\n]*\\}(,?)$`, 'm');
      if (!line.test(text)) throw new Error(`${preset.file}: no one-line "${dataset}" result to rewrite`);
      fs.writeFileSync(
        preset.file,
        text.replace(
          line,
          (_, indent, comma) =>
            `${indent}"${dataset}": ${JSON.stringify(result).replaceAll('":', '": ').replaceAll(',"', ', "')}${comma}`,
        ),
      );
    }
  }
  rows.push(row);
}

const pct = (r) => (r ? `${(100 * r.test_accuracy).toFixed(2)}%` : '–');
console.log('| architecture | training img/s (MNIST / Fashion) | MNIST test | Fashion-MNIST test |');
console.log('|---|---:|---:|---:|');
for (const r of rows) {
  const speed = `${r.mnist?.img_per_s ?? '–'} / ${r['fashion-mnist']?.img_per_s ?? '–'}`;
  console.log(`| \`${r.name}\` | ${speed} | ${pct(r.mnist)} | ${pct(r['fashion-mnist'])} |`);
}
