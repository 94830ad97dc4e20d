import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { attachedFile, parseReason, verifyPdfSignature } from '../src/pdf.js';
import { sha256Hex } from '../src/crypto.js';

const fixture = new URL('./fixtures/acme-home/', import.meta.url);
const pdf = () => new Uint8Array(readFileSync(new URL('statement.pdf', fixture)));
const manifest = () => JSON.parse(readFileSync(new URL('manifest.json', fixture), 'utf8'));
const failed = (report) => report.checks.filter((c) => !c.passed).map((c) => c.name);

test('a statement PDF as kpiseal signs it passes every check and names the demo key', async () => {
  const report = await verifyPdfSignature(pdf());
  assert.deepEqual(failed(report), []);
  assert.equal(report.checks.length, 9);
  assert.equal(report.keyId, manifest().key_id);
  assert.deepEqual(parseReason(report.reason), { status: 'final', number: manifest().statement_number });
});

test('one byte flipped inside the signed range fails the message digest only', async () => {
  const bytes = pdf();
  bytes[1000] ^= 0x01;
  assert.deepEqual(failed(await verifyPdfSignature(bytes)), ['message-digest']);
});

test('one byte flipped in the signature value fails the signature and the countersignature digest', async () => {
  const bytes = pdf();
  const text = Buffer.from(bytes).toString('latin1');
  const contents = text.lastIndexOf('/Contents <') + 11;
  // The last hex digits of the DER are the countersignature's Ed25519 value.
  const derEnd = text.indexOf('0000', contents + 3700);
  bytes[derEnd - 2] = bytes[derEnd - 2] === 0x41 ? 0x42 : 0x41;
  const failures = failed(await verifyPdfSignature(bytes));
  assert.ok(failures.includes('countersignature'), failures.join(','));
});

test('bytes appended after the signed file fail the byte range and leave the rest unchecked', async () => {
  const original = pdf();
  const bytes = new Uint8Array(original.length + 12);
  bytes.set(original);
  bytes.set(Buffer.from('\n%%EOF extra'), original.length);
  const report = await verifyPdfSignature(bytes);
  assert.equal(report.checks[1].name, 'byte-range');
  assert.match(report.checks[1].detail, /12 bytes after the signed range/);
  assert.deepEqual(failed(report).slice(0, 2), ['byte-range', 'contents-encoding']);
});

test('a file without /ByteRange is reported unsigned', async () => {
  const report = await verifyPdfSignature(new Uint8Array(Buffer.from('%PDF-1.7\n%%EOF\n')));
  assert.equal(report.signed, false);
});

test('the attached statement.json is the one the manifest lists', async () => {
  const json = await attachedFile(pdf(), 'statement.json');
  assert.ok(json);
  const listed = manifest().outputs.find((o) => o.name === 'statement.json');
  assert.equal(await sha256Hex(json), listed.sha256);
});
