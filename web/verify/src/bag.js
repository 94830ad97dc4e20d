// The BagIt tag files kpiseal writes for an evidence bag (RFC 8493), made
// again from the payload and the signed manifest, so a bag's tag files can
// be compared byte for byte (as `kpiseal verify` does; crates/seal/src/bag.rs).

import { compareUtf8, toHex, utf8 } from './bytes.js';
import { sha256, sha512 } from './crypto.js';

/** `bagit.txt`, always the same. */
export const BAGIT_TXT = 'BagIt-Version: 1.0\nTag-File-Character-Encoding: UTF-8\n';

/**
 * The tag files a bag with `payload` (a Map from the path under `data/` to
 * its bytes) and the signed `manifest` has: a Map from tag file name to its
 * expected UTF-8 bytes.
 */
export async function expectedTagFiles(payload, manifest) {
  const names = [...payload.keys()].sort(compareUtf8);
  let total = 0;
  const lines256 = [];
  const lines512 = [];
  for (const name of names) {
    const data = payload.get(name);
    total += data.length;
    const shown = name.replace(/%/g, '%25');
    lines256.push(`${toHex(await sha256(data))}  data/${shown}\n`);
    lines512.push(`${toHex(await sha512(data))}  data/${shown}\n`);
  }
  const info =
    `Source-Organization: ${manifest.provider.legal_name}\n` +
    `External-Identifier: ${manifest.statement_number}\n` +
    `Bagging-Date: ${manifest.issue_date}\n` +
    `Payload-Oxum: ${total}.${names.length}\n` +
    `Bag-Software-Agent: ${manifest.tool.name} ${manifest.tool.version}\n`;
  const tags = new Map([
    ['bag-info.txt', utf8(info)],
    ['bagit.txt', utf8(BAGIT_TXT)],
    ['manifest-sha256.txt', utf8(lines256.join(''))],
    ['manifest-sha512.txt', utf8(lines512.join(''))],
  ]);
  let tag256 = '';
  let tag512 = '';
  for (const [name, bytes] of tags) {
    tag256 += `${toHex(await sha256(bytes))}  ${name}\n`;
    tag512 += `${toHex(await sha512(bytes))}  ${name}\n`;
  }
  tags.set('tagmanifest-sha256.txt', utf8(tag256));
  tags.set('tagmanifest-sha512.txt', utf8(tag512));
  return tags;
}
