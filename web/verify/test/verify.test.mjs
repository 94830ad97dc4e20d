import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { readPinnedKey, verifyFiles } from '../src/verify.js';

const read = (path) => new Uint8Array(readFileSync(new URL(path, import.meta.url)));
const zip = () => [{ path: 'evidence.zip', bytes: read('./fixtures/zip/evidence.zip') }];
const failed = (result) => result.checks.filter((c) => !c.passed).map((c) => c.name);
const demoKey = () => new TextDecoder().decode(read('./fixtures/acme-home/provider.minisign.pub'));

test('an evidence zip sealed before verify.html was delivered still verifies, unpinned, as a demo-key statement', async () => {
  const result = await verifyFiles(zip());
  assert.deepEqual(failed(result), []);
  assert.equal(result.verdict, 'valid');
  assert.equal(result.kind, 'zip');
  assert.equal(result.key.pin, 'not-pinned');
  assert.equal(result.demo, true);
  assert.equal(result.summary.amountDue, 'CNY 249114.47');
  const outputs = result.checks.find((c) => c.name === 'manifest outputs');
  assert.match(outputs.detail, /sealed before verify\.html was delivered/);
});

test('the same zip with the provider key pinned says PINNED', async () => {
  const result = await verifyFiles(zip(), await readPinnedKey(demoKey()));
  assert.equal(result.verdict, 'valid');
  assert.equal(result.key.pin, 'pinned');
});

test('pinned to another key, the zip is NOT VALID with DIFFERENT KEY, failing the manifest signatures', async () => {
  const other = 'RWT7MXhP5dLpIOlbQ30m1Q7isO4VuinWQWqGCl3ZVm4LwQmZh/DKeiFR'.replace('RWT7MXhP5dLpIO', 'RWT7MXhP5dLpIA');
  await assert.rejects(readPinnedKey(other)); // a key whose number is not its id is refused outright
  const foreign = await readPinnedKey(demoKey());
  foreign.publicKey = foreign.publicKey.slice();
  foreign.publicKey[0] ^= 1;
  foreign.keyId = 'FFFFFFFFFFFFFFFF';
  const result = await verifyFiles(zip(), foreign);
  assert.equal(result.verdict, 'not-valid');
  assert.equal(result.key.pin, 'different');
  assert.ok(failed(result).includes('minisign'));
  assert.ok(failed(result).includes('sshsig'));
});

test('a statement PDF alone shows the attached statement figures and names the signature statement', async () => {
  const result = await verifyFiles([{ path: 'statement.pdf', bytes: read('./fixtures/acme-home/statement.pdf') }]);
  assert.equal(result.verdict, 'valid');
  assert.equal(result.summary.statementNumber, 'LX-2026-017-202610-acme-home');
  assert.equal(result.checks.at(-1).name, 'pdf-attachment');
});

test('files the page cannot place fail the one input check', async () => {
  const result = await verifyFiles([{ path: 'notes.txt', bytes: new Uint8Array([104, 105]) }]);
  assert.equal(result.verdict, 'not-valid');
  assert.deepEqual(failed(result), ['input']);
});
