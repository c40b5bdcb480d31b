// Runs the README's quick start as written, so the README cannot drift from the product.
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ROOT, startServe, tempDir, type ServeHandle } from '../cli/cli-helpers.ts';

const MARKER = '<!-- quickstart -->';
/** The URL the README promises for `npm start` (the dev config's listen address). */
const README_ORIGIN = 'https://127.0.0.1:8090';

/** Every ```sh block that directly follows the marker comment, in order. */
export function quickstartBlocks(markdown: string): string[] {
  const blocks: string[] = [];
  const re = /<!-- quickstart -->\s*\n```(?:sh|bash|shell)\n([\s\S]*?)\n```/g;
  for (const m of markdown.matchAll(re)) blocks.push(m[1]);
  return blocks;
}

/** Splits concatenated curl output (`{…}{…}404`) into JSON values and plain words. */
export function splitOutput(text: string): unknown[] {
  const out: unknown[] = [];
  let i = 0;
  while (i < text.length) {
    if (/\s/.test(text[i])) { i++; continue; }
    if (text[i] !== '{' && text[i] !== '[') {
      const end = text.slice(i).search(/[\s{[]/);
      const word = end === -1 ? text.slice(i) : text.slice(i, i + end);
      out.push(word);
      i += word.length;
      continue;
    }
    let depth = 0;
    let inString = false;
    let j = i;
    for (; j < text.length; j++) {
      const c = text[j];
      if (inString) {
        if (c === '\\') j++;
        else if (c === '"') inString = false;
      } else if (c === '"') inString = true;
      else if (c === '{' || c === '[') depth++;
      else if ((c === '}' || c === ']') && --depth === 0) break;
    }
    out.push(JSON.parse(text.slice(i, j + 1)));
    i = j + 1;
  }
  return out;
}

describe('README quick start', () => {
  const readme = readFileSync(join(ROOT, 'README.md'), 'utf8');
  const blocks = quickstartBlocks(readme);
  let tmp: ReturnType<typeof tempDir>;
  let server: ServeHandle;

  before(async () => {
    tmp = tempDir('strongbox-quickstart-');
    // `npm start` is `tsx src/cli/main.ts serve --dev`; run the same from a fresh folder. The only
    // change: any free port instead of 8090, so a parallel test run cannot collide (checked below).
    server = await startServe(['--dev', '--port', '0'], { cwd: tmp.dir });
  });
  after(async () => {
    await server?.stop();
    tmp?.cleanup();
  });

  test('the README has marked quick-start blocks, and npm start is serve --dev on the promised URL', () => {
    assert.ok(blocks.length >= 1, `no ${MARKER} block followed by a sh code block in README.md`);
    const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { scripts: Record<string, string> };
    assert.equal(pkg.scripts.start, 'tsx src/cli/main.ts serve --dev');
    assert.ok(readme.includes('npm install && npm start'));
    const devConfig = readFileSync(join(tmp.dir, 'strongbox.yaml'), 'utf8');
    assert.match(devConfig, /host: 127\.0\.0\.1\s*\n\s*port: 8090/, 'the dev config listens where the README says');
    assert.ok(blocks.join('\n').includes(README_ORIGIN));
    assert.match(server.output().stdout, /admin create --email you@example\.com --password-stdin/);
    assert.match(server.output().stdout, /trust it with: curl --cacert data\/tls\/ca\.pem/);
    assert.match(server.url, /^https:/);
  });

  test('the curl walkthrough runs as written and shows what the README says', () => {
    const script = blocks.join('\n').replaceAll(README_ORIGIN, server.url);
    const r = spawnSync('bash', ['-euo', 'pipefail', '-c', script], { cwd: tmp.dir, encoding: 'utf8', timeout: 120_000 });
    assert.equal(r.status, 0, `stdout: ${r.stdout}\nstderr: ${r.stderr}`);
    assert.equal(r.stderr, '');
    const out = splitOutput(r.stdout) as Array<Record<string, any>>; // eslint-disable-line @typescript-eslint/no-explicit-any

    // Two people register: 201 bodies with their account and the user role.
    const [alice, bob, list, status] = out;
    assert.equal(out.length, 4, r.stdout);
    assert.equal(alice.account.email, 'alice@example.com');
    assert.equal(alice.account.role, 'user');
    assert.equal(bob.account.email, 'bob@example.com');
    for (const pw of ['tulip-harbor-quartz-41', 'velvet-canyon-orbit-73']) assert.ok(!r.stdout.includes(pw), 'passwords are never echoed back');
    assert.ok(!/password_hash|\$argon2/.test(r.stdout));

    // Alice lists her notes with a filter: exactly her note, with the server-set fields.
    assert.equal(list.items.length, 1);
    assert.equal(list.totalItems, 1);
    const note = list.items[0];
    assert.equal(note.title, 'Call the lab');
    assert.equal(note.body, 'ask for the results');
    assert.equal(note.owner, alice.account.id);
    assert.match(note.id, /^[A-Za-z0-9_-]{20}$/);
    assert.match(note.created, /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/);

    // Bob asks for Alice's note: 404, exactly as if it did not exist.
    assert.equal(status, '404');
  });
});
