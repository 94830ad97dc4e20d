// readZip on a real evidence zip written by kpiseal's Rust code, and on
// zips assembled byte by byte here to show each refusal.
//
// fixtures/zip/evidence.zip is acme-home's evidence.zip from the demo
// (`kpiseal run` over fixtures/demo, period 2026-10); fixtures/zip/evidence/
// holds the files of the evidence folder it was zipped from, except the two
// large ones (data/statement.pdf and data/statement.json), whose SHA-256
// the test takes from the bag's own manifest-sha256.txt and from literals
// computed with `sha256sum` on the demo output.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

import { readZip, crc32, ZIP_LIMITS } from '../src/zip.js';
import { utf8, toHex, concatBytes } from '../src/bytes.js';

const fixtures = fileURLToPath(new URL('./fixtures/zip/', import.meta.url));
const realZip = new Uint8Array(readFileSync(fixtures + 'evidence.zip'));

async function sha256Hex(bytes) {
  return toHex(new Uint8Array(await crypto.subtle.digest('SHA-256', bytes)));
}

async function deflateRaw(bytes) {
  const stream = new CompressionStream('deflate-raw');
  const writer = stream.writable.getWriter();
  writer.write(bytes);
  writer.close();
  return new Uint8Array(await new Response(stream.readable).arrayBuffer());
}

function u16(n) {
  return [n & 0xff, (n >>> 8) & 0xff];
}

function u32(n) {
  return [n & 0xff, (n >>> 8) & 0xff, (n >>> 16) & 0xff, (n >>> 24) & 0xff];
}

// 2026-11-01 as an MS-DOS date.
const DOS_DATE = ((2026 - 1980) << 9) | (11 << 5) | 1;

/**
 * A zip assembled by hand in kpiseal's shape. Each entry: `name`, and for a
 * file `content` (deflated here) or `stored` (raw data written with method
 * 0); any header field can be overridden (`method`, `flags`, `crc`, `size`,
 * `compressed`, `data`, `external`, `localName`).
 */
async function buildZip(specs) {
  const locals = [];
  const centrals = [];
  let offset = 0;
  for (const spec of specs) {
    const folder = spec.name.endsWith('/');
    let data = new Uint8Array(0);
    let method = 0;
    let crc = 0;
    let size = 0;
    if (spec.content !== undefined) {
      data = await deflateRaw(spec.content);
      method = 8;
      crc = crc32(spec.content);
      size = spec.content.length;
    } else if (spec.stored !== undefined) {
      data = spec.stored;
      crc = crc32(spec.stored);
      size = spec.stored.length;
    }
    const e = {
      method,
      crc,
      size,
      data,
      compressed: data.length,
      flags: /^[\x00-\x7f]*$/.test(spec.name) ? 0 : 0x0800,
      external: (folder ? 0o040755 : 0o100644) * 0x10000,
      ...spec,
    };
    if (spec.data) e.compressed = spec.compressed ?? spec.data.length;
    const name = utf8(e.name);
    const localName = utf8(e.localName ?? e.name);
    const common = [...u16(e.flags), ...u16(e.method), ...u16(0), ...u16(DOS_DATE), ...u32(e.crc), ...u32(e.compressed), ...u32(e.size)];
    const local = concatBytes(
      new Uint8Array([...u32(0x04034b50), ...u16(20), ...common, ...u16(localName.length), ...u16(0)]),
      localName,
      e.data,
    );
    const central = concatBytes(
      new Uint8Array([
        ...u32(0x02014b50),
        ...u16((3 << 8) | 20),
        ...u16(20),
        ...common,
        ...u16(name.length),
        ...u16(0),
        ...u16(0),
        ...u16(0),
        ...u16(0),
        ...u32(e.external),
        ...u32(offset),
      ]),
      name,
    );
    locals.push(local);
    centrals.push(central);
    offset += local.length;
  }
  const cd = concatBytes(...centrals);
  const end = new Uint8Array([
    ...u32(0x06054b50),
    ...u16(0),
    ...u16(0),
    ...u16(specs.length),
    ...u16(specs.length),
    ...u32(cd.length),
    ...u32(offset),
    ...u16(0),
  ]);
  return concatBytes(...locals, cd, end);
}

const hello = utf8('hello, evidence\n'.repeat(20));

test('crc32 gives the standard check value and the CRC of the empty string', () => {
  assert.equal(crc32(utf8('123456789')), 0xcbf43926);
  assert.equal(crc32(new Uint8Array(0)), 0);
  assert.equal(crc32(utf8('The quick brown fox jumps over the lazy dog')), 0x414fa339);
});

test('every entry of the real evidence zip is read, byte for byte as in the evidence folder', async () => {
  const { entries, dosDate } = await readZip(realZip);
  assert.deepEqual(
    entries.map((e) => e.name),
    [
      'evidence/',
      'evidence/bag-info.txt',
      'evidence/bagit.txt',
      'evidence/data/',
      'evidence/data/allowed_signers',
      'evidence/data/manifest.json',
      'evidence/data/manifest.json.minisig',
      'evidence/data/manifest.json.sig',
      'evidence/data/provider.cert.pem',
      'evidence/data/provider.minisign.pub',
      'evidence/data/provider.p256.cert.pem',
      'evidence/data/provider.ssh.pub',
      'evidence/data/statement.json',
      'evidence/data/statement.pdf',
      'evidence/manifest-sha256.txt',
      'evidence/manifest-sha512.txt',
      'evidence/tagmanifest-sha256.txt',
      'evidence/tagmanifest-sha512.txt',
    ],
  );
  const bagInfo = readFileSync(fixtures + 'evidence/bag-info.txt', 'utf8');
  const date = /Bagging-Date: (\d{4})-(\d\d)-(\d\d)/.exec(bagInfo);
  assert.equal(dosDate, ((Number(date[1]) - 1980) << 9) | (Number(date[2]) << 5) | Number(date[3]));
  const big = ['evidence/data/statement.json', 'evidence/data/statement.pdf'];
  let compared = 0;
  for (const entry of entries) {
    if (entry.folder) {
      assert.equal(entry.data, null, entry.name);
    } else if (!big.includes(entry.name)) {
      const expected = new Uint8Array(readFileSync(fixtures + entry.name));
      assert.equal(await sha256Hex(entry.data), await sha256Hex(expected), entry.name);
      assert.deepEqual(entry.data, expected, entry.name);
      compared++;
    }
  }
  assert.equal(compared, 14);
  // Every data/ file against the bag's own manifest (a fixture file, not read through the zip).
  const bagManifest = readFileSync(fixtures + 'evidence/manifest-sha256.txt', 'utf8').trim().split('\n');
  assert.equal(bagManifest.length, 10);
  for (const line of bagManifest) {
    const [hash, path] = line.split(/ {2}/);
    const entry = entries.find((e) => e.name === 'evidence/' + path);
    assert.ok(entry, path);
    assert.equal(await sha256Hex(entry.data), hash, path);
  }
  // And the two large files against `sha256sum` of the demo output.
  const pdf = entries.find((e) => e.name === 'evidence/data/statement.pdf');
  const json = entries.find((e) => e.name === 'evidence/data/statement.json');
  assert.equal(await sha256Hex(pdf.data), 'd718cefc0754c2d79d1dbe4dccd4d6d4941c07ad1ba78a24ef385beb0c5a8dbb');
  assert.equal(await sha256Hex(json.data), '56978377abf0a42c79a03bc986b14245d029a555803d4eeaf6b76bc1f713dc72');
});

test('a truncated zip is refused as truncated', async () => {
  for (const length of [0, 10, 21, 100, realZip.length >> 1, realZip.length - 23, realZip.length - 10, realZip.length - 1]) {
    await assert.rejects(readZip(realZip.subarray(0, length)), /truncated/, `cut to ${length} bytes`);
  }
});

test('a zip whose central directory points past a cut is refused naming the offsets', async () => {
  // Cut out 100 bytes of data before the central directory, keeping the tail intact.
  const cut = concatBytes(realZip.subarray(0, 1000), realZip.subarray(1100));
  await assert.rejects(readZip(cut), /central directory \(bytes \d+\.\.\d+\) does not end where its end record begins/);
});

test('a flipped byte in compressed data is refused by inflate or CRC, naming the entry', async () => {
  const { entries } = await readZip(realZip);
  assert.ok(entries.length > 0);
  // Find statement.json's compressed data through its local header (name right after the 30-byte header).
  const name = utf8('evidence/data/statement.json');
  let at = -1;
  for (let i = 0; i < realZip.length - name.length; i++) {
    if (realZip[i] === 0x50 && realZip[i + 1] === 0x4b && realZip[i + 2] === 3 && realZip[i + 3] === 4) {
      const n = realZip[i + 26] | (realZip[i + 27] << 8);
      if (n === name.length && realZip.subarray(i + 30, i + 30 + n).every((b, k) => b === name[k])) {
        at = i + 30 + n;
        break;
      }
    }
  }
  assert.ok(at > 0);
  for (const delta of [100, 4000, 8000]) {
    const changed = realZip.slice();
    changed[at + delta] ^= 0x10;
    await assert.rejects(
      readZip(changed),
      (e) =>
        /"evidence\/data\/statement\.json"/.test(e.message) &&
        /CRC mismatch|cannot inflate|inflates to more than its stated/.test(e.message),
      `byte ${at + delta}`,
    );
  }
});

test('a changed byte anywhere is refused, or reads back exactly the same files', async () => {
  // Deflate has many encodings of one content: some bit flips inside a
  // compressed stream give another valid stream with the same output (here
  // a match copying a repeated pattern from another distance). The Rust
  // reader refuses those by re-compressing; this reader cannot, so it
  // accepts them, and what it returns is then exactly the original files.
  const original = await readZip(realZip);
  const pdfData = [13823, 163876]; // statement.pdf's compressed bytes in this fixture
  const positions = [163396, 163403];
  for (let at = 0; at < realZip.length; at += at >= pdfData[0] && at < pdfData[1] ? 1009 : 37) positions.push(at);
  let refused = 0;
  let same = 0;
  for (const at of positions) {
    const changed = realZip.slice();
    changed[at] ^= 0x01;
    let read;
    try {
      read = await readZip(changed);
    } catch (e) {
      assert.match(e.message, /^evidence zip refused: /);
      refused++;
      continue;
    }
    assert.deepEqual(read, original, `byte ${at} changed, read as other files`);
    same++;
  }
  assert.ok(same >= 2, 'the two known equivalent encodings are accepted');
  assert.ok(refused > 400, `${refused} refused`);
});

test('a hand-built zip in kpiseal shape is read (the builder below is sound)', async () => {
  const zip = await buildZip([
    { name: 'bag/' },
    { name: 'bag/a.txt', content: hello },
    { name: 'bag/zero', content: new Uint8Array(0) },
    { name: 'bag/ü.txt', content: utf8('non-ASCII name') },
  ]);
  const { entries, dosDate } = await readZip(zip);
  assert.equal(dosDate, DOS_DATE);
  assert.deepEqual(
    entries.map((e) => [e.name, e.folder, e.data && new TextDecoder().decode(e.data)]),
    [
      ['bag/', true, null],
      ['bag/a.txt', false, 'hello, evidence\n'.repeat(20)],
      ['bag/zero', false, ''],
      ['bag/ü.txt', false, 'non-ASCII name'],
    ],
  );
  // Sorted by UTF-8 bytes: "bag/ü.txt" (0xc3…) after "bag/zero".
  await assert.rejects(
    readZip(await buildZip([{ name: 'bag/' }, { name: 'bag/ü.txt', content: hello }, { name: 'bag/zero', content: hello }])),
    /"bag\/zero": comes after "bag\/ü.txt"/,
  );
});

test('an entry named ../x is refused, stored or deflated', async () => {
  for (const spec of [{ name: '../x', stored: utf8('escaped') }, { name: '../x', content: utf8('escaped') }]) {
    await assert.rejects(readZip(await buildZip([spec])), /entry "\.\.\/x": `\.` or `\.\.` component in path/);
  }
  await assert.rejects(
    readZip(await buildZip([{ name: 'bag/' }, { name: 'bag/../../x', content: hello }])),
    /"bag\/\.\.\/\.\.\/x".*`\.\.`/,
  );
});

test('absolute, backslash and drive-prefixed names are refused', async () => {
  const cases = [
    ['/etc/passwd', /absolute path/],
    ['a\\b', /backslash/],
    ['C:/x', /drive prefix/],
    ['a\u0001b', /control character/],
  ];
  for (const [name, message] of cases) {
    await assert.rejects(readZip(await buildZip([{ name, content: hello }])), message, name);
  }
});

test('bytes after the end record, or a zip comment, are refused', async () => {
  const zip = await buildZip([{ name: 'bag/' }, { name: 'bag/a.txt', content: hello }]);
  await readZip(zip);
  await assert.rejects(readZip(concatBytes(zip, new Uint8Array([0]))), /1 bytes follow the end of the zip/);
  await assert.rejects(readZip(concatBytes(realZip, utf8('trailing'))), /8 bytes follow the end of the zip/);
  const commented = concatBytes(zip, utf8('hi'));
  commented[zip.length - 2] = 2;
  await assert.rejects(readZip(commented), /2-byte zip comment/);
});

test('bytes before the first entry or between entries are refused', async () => {
  const zip = await buildZip([{ name: 'bag/' }, { name: 'bag/a.txt', content: hello }]);
  // A prefix shifts everything: the central directory no longer ends at the end record.
  await assert.rejects(readZip(concatBytes(new Uint8Array(4), zip)), /does not end where its end record begins/);
});

test('a stored file, a deflated folder, encryption and data descriptors are refused', async () => {
  await assert.rejects(readZip(await buildZip([{ name: 'a', stored: hello }])), /"a": compression method 0/);
  await assert.rejects(readZip(await buildZip([{ name: 'a/', method: 8 }])), /"a\/": compression method 8/);
  await assert.rejects(readZip(await buildZip([{ name: 'a', content: hello, flags: 1 }])), /"a": encrypted/);
  await assert.rejects(readZip(await buildZip([{ name: 'a', content: hello, flags: 8 }])), /"a": has a data descriptor/);
  await assert.rejects(readZip(await buildZip([{ name: 'a', content: hello, method: 12 }])), /compression method 12/);
});

test('a header field kpiseal does not write is refused', async () => {
  const link = (0o120777 * 0x10000) >>> 0;
  await assert.rejects(readZip(await buildZip([{ name: 'a', content: hello, external: link }])), /"a": a link/);
  await assert.rejects(
    readZip(await buildZip([{ name: 'a', content: hello, external: 0o100755 * 0x10000 }])),
    /"a": its header is not as kpiseal writes it/,
  );
  await assert.rejects(
    readZip(await buildZip([{ name: 'a', content: hello, flags: 0x0800 }])),
    /its header is not as kpiseal writes it/,
  );
});

test('local header and central directory must agree', async () => {
  const zip = await buildZip([{ name: 'a', content: hello }]);
  const changed = zip.slice();
  changed[30] = 'b'.charCodeAt(0); // the local header's copy of the name
  await assert.rejects(readZip(changed), /entry "a": its local header \(byte 0\) and the central directory differ \(name "b"\)/);
  const crc = zip.slice();
  crc[14] ^= 1; // the local header's CRC
  await assert.rejects(readZip(crc), /differ \(CRC or sizes\)/);
  const method = zip.slice();
  method[8] = 0;
  await assert.rejects(readZip(method), /differ \(flags or method\)/);
});

test('a CRC that does not match the inflated data is refused', async () => {
  const zip = await buildZip([{ name: 'a', content: hello, crc: crc32(hello) ^ 1 }]);
  await assert.rejects(readZip(zip), /entry "a": inflates to 320 bytes with CRC [0-9a-f]{8}; its headers say 320 bytes.*CRC mismatch/);
  const sized = await buildZip([{ name: 'a', content: hello, size: hello.length - 1 }]);
  await assert.rejects(readZip(sized), /entry "a": inflates to more than its stated 319 bytes/);
  const larger = await buildZip([{ name: 'a', content: hello, size: hello.length + 1 }]);
  await assert.rejects(readZip(larger), /entry "a": inflates to 320 bytes .* say 321 bytes/);
});

test('hidden bytes after a deflate stream are refused', async () => {
  const data = concatBytes(await deflateRaw(hello), utf8('hidden'));
  const zip = await buildZip([{ name: 'a', data, method: 8, crc: crc32(hello), size: hello.length }]);
  await assert.rejects(readZip(zip), /entry "a": (hidden bytes after the end of its deflate stream|cannot inflate)/);
});

test('data that does not inflate is refused', async () => {
  const zip = await buildZip([{ name: 'a', data: new Uint8Array([0xff, 0xff, 0xff]), method: 8, crc: 0, size: 1 }]);
  await assert.rejects(readZip(zip), /entry "a": cannot inflate its data \(bytes 31\.\.34\)/);
});

test('duplicate names, also ignoring case or Unicode normalisation, are refused', async () => {
  await assert.rejects(
    readZip(await buildZip([{ name: 'a', content: hello }, { name: 'a', content: hello }])),
    /"a": appears twice/,
  );
  await assert.rejects(
    readZip(await buildZip([{ name: 'A', content: hello }, { name: 'a', content: hello }])),
    /"a": and "A" are one name/,
  );
  await assert.rejects(
    readZip(await buildZip([{ name: 'e\u0301', content: hello }, { name: '\u00e9', content: hello }])),
    /are one name to readers that ignore case or Unicode normalisation/,
  );
});

test('unsorted entries and folders without their own entry are refused', async () => {
  await assert.rejects(
    readZip(await buildZip([{ name: 'b', content: hello }, { name: 'a', content: hello }])),
    /"a": comes after "b"/,
  );
  await assert.rejects(readZip(await buildZip([{ name: 'bag/a', content: hello }])), /its folder bag\/ has no entry/);
});

test('size and ratio limits are checked before inflating', async () => {
  const zeros = new Uint8Array(300000);
  const zip = await buildZip([{ name: 'a', content: zeros }]);
  await readZip(zip);
  assert.equal(ZIP_LIMITS.maxRatio, 100);
  await assert.rejects(readZip(zip, { ratioFloor: 1000 }), /"a": \d+ bytes inflating to 300000, a compression ratio over 100:1/);
  await assert.rejects(readZip(zip, { maxEntryBytes: 1000 }), /"a": inflates to 300000 bytes, over the 1000/);
  await assert.rejects(readZip(zip, { maxTotalBytes: 1000 }), /inflate to more than the 1000 bytes/);
  await assert.rejects(readZip(realZip, { maxEntries: 5 }), /more than 5 entries/);
  // A header claiming a huge size is refused before any inflating.
  const bomb = await buildZip([{ name: 'a', content: hello, size: 0xfffffff0 }]);
  await assert.rejects(readZip(bomb), /"a": inflates to 4294967280 bytes, over/);
});

test('anything but a Uint8Array is refused', async () => {
  await assert.rejects(readZip(realZip.buffer), TypeError);
});
