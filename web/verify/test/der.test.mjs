import { test } from 'node:test';
import assert from 'node:assert/strict';
import { DER_TAG, derOid, derRead } from '../src/der.js';
import { ecdsaDerToRaw } from '../src/crypto.js';

const bytes = (...b) => new Uint8Array(b);

test('a short-form value is read with its content bounds', () => {
  const node = derRead(bytes(0x04, 0x02, 0xaa, 0xbb, 0xff), 0);
  assert.equal(node.tag, DER_TAG.OCTET_STRING);
  assert.deepEqual([...node.content], [0xaa, 0xbb]);
  assert.equal(node.end, 4);
});

test('a long-form length is read, and children of a SEQUENCE in order', () => {
  const content = new Uint8Array(200).fill(7);
  const seq = new Uint8Array([0x30, 0x81, 203, 0x04, 0x81, 200, ...content]);
  const [child] = derRead(seq, 0).children();
  assert.equal(child.content.length, 200);
});

test('BER forms DER forbids are refused: indefinite length, non-minimal length, multi-byte tag', () => {
  assert.throws(() => derRead(bytes(0x30, 0x80, 0x00, 0x00), 0), /indefinite/);
  assert.throws(() => derRead(bytes(0x04, 0x81, 0x02, 0xaa, 0xbb), 0), /fewest bytes/);
  assert.throws(() => derRead(bytes(0x04, 0x82, 0x00, 0x90, ...new Array(0x90).fill(0)), 0), /fewest bytes/);
  assert.throws(() => derRead(bytes(0x1f, 0x81, 0x01, 0x00), 0), /multi-byte tag/);
});

test('a value claiming more bytes than its container holds is refused, never read past', () => {
  assert.throws(() => derRead(bytes(0x04, 0x05, 0xaa), 0), /past the end/);
  assert.throws(() => derRead(bytes(0x04), 0), /cut short/);
  assert.throws(() => derRead(bytes(0x30, 0x84, 0x7f, 0xff, 0xff, 0xff), 0), /past the end/);
  const outer = bytes(0x30, 0x03, 0x04, 0x05, 0xaa);
  assert.throws(() => derRead(outer, 0).children(), /past the end/);
});

test('object identifiers decode to their dotted form', () => {
  const oid = (...content) => derOid(derRead(bytes(0x06, content.length, ...content), 0));
  assert.equal(oid(0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x07, 0x02), '1.2.840.113549.1.7.2');
  assert.equal(oid(0x2b, 0x65, 0x70), '1.3.101.112');
  assert.equal(oid(0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x02, 0x01), '2.16.840.1.101.3.4.2.1');
  assert.throws(() => oid(0x2a, 0x80, 0x01), /minimally/);
  assert.throws(() => oid(0x2a, 0x86), /malformed/);
});

test('a DER ECDSA signature becomes r and s padded to 32 bytes each; other encodings are refused', () => {
  const r = new Array(32).fill(1);
  const s = [0x00, 0x80, ...new Array(31).fill(2)];
  const raw = ecdsaDerToRaw(bytes(0x30, 2 + 32 + 2 + 33, 0x02, 32, ...r, 0x02, 33, ...s));
  assert.deepEqual([...raw], [...r, 0x80, ...new Array(31).fill(2)]);
  assert.equal(ecdsaDerToRaw(bytes(0x30, 6, 0x02, 1, 0x80, 0x02, 1, 0x01)), null, 'negative r');
  assert.equal(ecdsaDerToRaw(bytes(0x30, 7, 0x02, 2, 0x00, 0x01, 0x02, 1, 0x01)), null, 'non-minimal r');
  assert.equal(ecdsaDerToRaw(bytes(0x30, 6, 0x02, 1, 0x01, 0x02, 1, 0x01, 0x00)), null, 'trailing byte');
});
