// The size budget (npm test runs it): no source file over LIMIT lines, so no file grows
// into one nobody can hold in their head. Prints every source file over the budget with its
// line count and fails if there is any; `--all` prints every file's count, largest first.
// Tests (crate/tests, tests/) and generated files (www/pkg, www/src/generated) are not counted.
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const LIMIT = 600;

const root = path.join(path.dirname(fileURLToPath(import.meta.url)), '..');
/** Folders whose files are all counted, and single files. */
const DIRS = ['crate/src', 'www/src', 'scripts', 'shaders'];
const FILES = ['index.html', 'vite.config.ts'];
/** Generated code, kept out of the budget. */
const SKIP = ['www/src/generated'];
const SOURCE = /\.(rs|ts|mjs|js|sh|wgsl|html|css)$/;

function walk(dir) {
  if (SKIP.includes(dir)) return [];
  return fs.readdirSync(path.join(root, dir), { withFileTypes: true }).flatMap((e) => {
    const rel = `${dir}/${e.name}`;
    if (e.isDirectory()) return walk(rel);
    return SOURCE.test(e.name) ? [rel] : [];
  });
}

/** Lines of a file as an editor numbers them (a last line without a newline counts). */
export function countLines(text) {
  if (text === '') return 0;
  const newlines = text.split('\n').length - 1;
  return text.endsWith('\n') ? newlines : newlines + 1;
}

const files = [...DIRS.filter((d) => fs.existsSync(path.join(root, d))).flatMap(walk), ...FILES];
const counts = files
  .map((f) => ({ file: f, lines: countLines(fs.readFileSync(path.join(root, f), 'utf8')) }))
  .sort((a, b) => b.lines - a.lines || a.file.localeCompare(b.file));

const width = Math.max(...counts.map((c) => c.file.length));
const show = (c) => `  ${c.file.padEnd(width)} ${String(c.lines).padStart(6)}`;
if (process.argv.includes('--all')) {
  for (const c of counts) console.log(show(c));
  console.log(`  ${'total'.padEnd(width)} ${String(counts.reduce((s, c) => s + c.lines, 0)).padStart(6)}`);
}
const over = counts.filter((c) => c.lines > LIMIT);
if (over.length > 0) {
  console.error(`${over.length} source file(s) over the budget of ${LIMIT} lines; split them by concern:`);
  for (const c of over) console.error(show(c));
  process.exit(1);
}
console.log(`size budget: all ${counts.length} source files are at most ${LIMIT} lines`);
