// Merkle tree hashes as RFC 6962 (Certificate Transparency) section 2.1
// defines them, with SHA-256, as crates/seal/src/merkle.rs computes them:
//
//   leaf hash   = SHA-256(0x00 ‖ leaf bytes)
//   node hash   = SHA-256(0x01 ‖ left ‖ right)
//   MTH(D[0:n]) = leaf hash of D[0]                           when n = 1
//               = node hash of MTH(D[0:k]) and MTH(D[k:n])    when n > 1,
//                 k the largest power of two smaller than n
//
// As in kpiseal, the tree of no leaves has no root (RFC 6962 would give
// SHA-256 of the empty string): a seal over no statement is refused.
//
// And the period manifest (crates/seal/src/period_manifest.rs): one leaf
// per seller statement, whose data is the 32 bytes of the SHA-256 of that
// seller's manifest.json, sorted by seller id bytes.

import { compareUtf8, utf8, toHex, fromHex, bytesEqual } from './bytes.js';
import { isCanonicalJson } from './canonical_json.js';
import { sha256 } from './crypto.js';

/** The `schema` every period manifest carries. */
export const PERIOD_MANIFEST_SCHEMA = 'kpiseal-period-manifest/1';

/** The `leaf_rule` every period manifest carries, word for word as period_manifest.rs's LEAF_RULE. */
export const PERIOD_LEAF_RULE =
  'leaf = SHA-256(0x00 || the 32 bytes of SHA-256(<seller>/manifest.json)), one per entry of leaves, in that ' +
  'order (seller ids sorted by their UTF-8 bytes); node = SHA-256(0x01 || left || right); merkle_root = the RFC ' +
  '6962 section 2.1 Merkle tree hash (the left subtree holds the largest power of two of leaves smaller than ' +
  'their count); hashes in lowercase hex';

/** Resolves to SHA-256(0x00 ‖ `bytes`) (32 bytes): the RFC 6962 hash of a leaf holding `bytes`. */
export async function merkleLeafHash(bytes) {
  return sha256(new Uint8Array([0x00]), bytes);
}

/** Resolves to SHA-256(0x01 ‖ `left` ‖ `right`) (32 bytes): the RFC 6962 hash of an inner node. */
export async function merkleNodeHash(left, right) {
  return sha256(new Uint8Array([0x01]), left, right);
}

async function merkleRootOfHashes(hashes) {
  if (hashes.length === 1) return hashes[0];
  let k = 1;
  while (k * 2 < hashes.length) k *= 2;
  const [left, right] = await Promise.all([
    merkleRootOfHashes(hashes.slice(0, k)),
    merkleRootOfHashes(hashes.slice(k)),
  ]);
  return merkleNodeHash(left, right);
}

/**
 * Resolves to the RFC 6962 Merkle tree hash (32 bytes) of the leaves
 * holding `leafDatas` (an array of Uint8Array), in this order. Rejects
 * with an Error for no leaves, which have no root here (as in kpiseal).
 */
export async function merkleRoot(leafDatas) {
  if (!Array.isArray(leafDatas) || leafDatas.length === 0) {
    throw new Error('a Merkle tree needs at least one leaf; there is nothing to seal');
  }
  return merkleRootOfHashes(await Promise.all(leafDatas.map((d) => merkleLeafHash(d))));
}

const MERKLE_PERIOD_FIELDS = [
  'count',
  'key_id',
  'leaf_rule',
  'leaves',
  'merkle_root',
  'period',
  'provider',
  'schema',
  'shard_hash',
];
const MERKLE_LEAF_FIELDS = ['manifest_sha256', 'seller', 'statement_number'];
const MERKLE_PROVIDER_FIELDS = ['legal_name', 'name'];

/** Why `value` is not an object with exactly the string (or other) fields `fields`, or null. */
function merkleShapeProblem(value, fields, where, strings) {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) return `${where} is not a JSON object`;
  const keys = Object.keys(value).sort();
  const unknown = keys.filter((k) => !fields.includes(k));
  if (unknown.length > 0) return `${where} has unknown field ${JSON.stringify(unknown[0])}`;
  const missing = fields.filter((k) => !keys.includes(k));
  if (missing.length > 0) return `${where} has no field ${JSON.stringify(missing[0])}`;
  for (const k of strings) if (typeof value[k] !== 'string') return `${where}.${k} is not a string`;
  return null;
}

/** Why `name` cannot be a seller's folder beside the period manifest, or null (as period_manifest.rs). */
function merkleSellerProblem(name) {
  if (name === '') return 'empty seller id';
  if (name === '.' || name === '..' || /[/\\\u0000-\u001f\u007f-\u009f]/.test(name)) {
    return 'a seller id must be a plain folder name (no /, \\, . or .., no control character)';
  }
  return null;
}

/** -1, 0 or 1 as `a` sorts before, with or after `b` by their UTF-8 bytes. */
/**
 * Checks a period manifest (`periodManifestJsonText`, the text of
 * period-manifest.json) as `kpiseal verify` does, apart from its
 * signatures, against the seller manifests given (`sellerManifests`: a Map
 * from seller id to the bytes of that seller's manifest.json; may be empty
 * or omitted).
 *
 * Resolves (never rejects) to `{ ok, reason, root, canonical, leaves }`:
 * - `ok` is true when the manifest has exactly the fields of
 *   kpiseal-period-manifest/1 with their types, its `schema` and
 *   `leaf_rule` are this version's, its leaves are sorted by seller id
 *   UTF-8 bytes with no seller twice, every seller id is a plain folder name
 *   and every `manifest_sha256` 64 lowercase hex digits, `count` is the
 *   number of leaves, `merkle_root` equals the root recomputed from the
 *   leaves as PERIOD_LEAF_RULE says, every given seller manifest hashes to
 *   its leaf's `manifest_sha256`, and no manifest is given for a seller
 *   that has no leaf;
 * - `reason` is null when `ok`, else every problem found, joined by "; ",
 *   each naming the field, leaf index and seller at fault;
 * - `root` is the recomputed root (lowercase hex), or null when the leaves
 *   cannot give one;
 * - `canonical` is whether the text's UTF-8 bytes are RFC 8785 canonical
 *   JSON, as kpiseal writes it (reported apart, as `kpiseal verify` does;
 *   it does not change `ok`);
 * - `leaves` lists the manifest's leaves in order, each `{ seller,
 *   statement_number, ok }` where `ok` is true or false when that seller's
 *   manifest was given and hashes (or not) to the leaf, null when none was
 *   given. Empty when the manifest's leaves could not be read.
 */
export async function checkPeriodManifest(periodManifestJsonText, sellerManifests) {
  const given = sellerManifests instanceof Map ? sellerManifests : new Map();
  const result = { ok: false, reason: null, root: null, canonical: false, leaves: [] };
  const refuse = (reason) => Object.assign(result, { ok: false, reason });
  if (typeof periodManifestJsonText !== 'string') return refuse('the period manifest is not text');
  result.canonical = isCanonicalJson(utf8(periodManifestJsonText));
  let manifest;
  try {
    manifest = JSON.parse(periodManifestJsonText);
  } catch (e) {
    return refuse(`the period manifest is not JSON: ${e.message}`);
  }
  const shape =
    merkleShapeProblem(manifest, MERKLE_PERIOD_FIELDS, 'the period manifest', [
      'key_id',
      'leaf_rule',
      'merkle_root',
      'period',
      'schema',
      'shard_hash',
    ]) ||
    (!Array.isArray(manifest.leaves) && 'leaves is not a JSON array') ||
    merkleShapeProblem(manifest.provider, MERKLE_PROVIDER_FIELDS, 'provider', MERKLE_PROVIDER_FIELDS) ||
    manifest.leaves.reduce(
      (found, leaf, i) => found || merkleShapeProblem(leaf, MERKLE_LEAF_FIELDS, `leaves[${i}]`, MERKLE_LEAF_FIELDS),
      null,
    );
  if (shape) return refuse(`not a ${PERIOD_MANIFEST_SCHEMA} manifest: ${shape}`);
  const problems = [];
  if (manifest.schema !== PERIOD_MANIFEST_SCHEMA) {
    problems.push(`schema is ${JSON.stringify(manifest.schema)}, expected ${JSON.stringify(PERIOD_MANIFEST_SCHEMA)}`);
  }
  if (manifest.leaf_rule !== PERIOD_LEAF_RULE) problems.push('leaf_rule is not the rule this verifier computes');
  if (!/^[0-9A-F]{16}$/.test(manifest.key_id)) {
    problems.push(`key_id ${JSON.stringify(manifest.key_id)} is not 16 uppercase hex digits`);
  }
  const { leaves } = manifest;
  for (let i = 1; i < leaves.length; i++) {
    if (compareUtf8(leaves[i - 1].seller, leaves[i].seller) >= 0) {
      problems.push(
        `leaves[${i}].seller ${JSON.stringify(leaves[i].seller)} is not after ` +
          `${JSON.stringify(leaves[i - 1].seller)}: ` +
          'leaves must be sorted by seller id (UTF-8 bytes) with no seller twice',
      );
    }
  }
  if (!Number.isSafeInteger(manifest.count) || manifest.count !== leaves.length) {
    problems.push(`count is ${JSON.stringify(manifest.count)}, expected ${leaves.length}`);
  }
  const data = [];
  leaves.forEach((leaf, i) => {
    const sellerProblem = merkleSellerProblem(leaf.seller);
    if (sellerProblem) problems.push(`leaves[${i}].seller ${JSON.stringify(leaf.seller)}: ${sellerProblem}`);
    const hash = /^[0-9a-f]{64}$/.test(leaf.manifest_sha256) ? fromHex(leaf.manifest_sha256) : null;
    if (!hash) {
      problems.push(
        `leaves[${i}].manifest_sha256 of ${JSON.stringify(leaf.seller)} is not 64 lowercase hex digits`,
      );
    }
    data.push(hash);
  });
  if (leaves.length === 0) {
    problems.push('leaves is empty: a period manifest seals at least one statement');
  } else if (data.every((d) => d !== null)) {
    result.root = toHex(await merkleRoot(data));
    if (manifest.merkle_root !== result.root) {
      problems.push(`merkle_root is ${JSON.stringify(manifest.merkle_root)} but the leaves give ${result.root}`);
    }
  }
  for (const [i, leaf] of leaves.entries()) {
    const bytes = given.get(leaf.seller);
    let ok = null;
    if (bytes !== undefined) {
      const actual = await sha256(bytes);
      ok = data[i] !== null && bytesEqual(actual, data[i]);
      if (!ok) {
        problems.push(
          `seller ${JSON.stringify(leaf.seller)} (leaves[${i}], statement ${leaf.statement_number}): its ` +
            `manifest.json has SHA-256 ${toHex(actual)}, the period manifest lists ${leaf.manifest_sha256}`,
        );
      }
    }
    result.leaves.push({ seller: leaf.seller, statement_number: leaf.statement_number, ok });
  }
  for (const seller of given.keys()) {
    if (!leaves.some((leaf) => leaf.seller === seller)) {
      problems.push(
        `seller ${JSON.stringify(seller)}: a manifest.json was given, but the period manifest has no leaf for it`,
      );
    }
  }
  result.ok = problems.length === 0;
  result.reason = result.ok ? null : problems.join('; ');
  return result;
}
