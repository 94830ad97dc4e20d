// RFC 8785 JSON Canonicalization Scheme (JCS), as kpiseal writes its
// manifests (serde_jcs): object members sorted by their names' UTF-16 code
// units, no whitespace, strings as ECMAScript's JSON.stringify writes them
// (only `"`, `\`, and U+0000–U+001F escaped; \b \t \n \f \r short, others
// as lowercase \u00xx; everything else, U+2028 and U+2029 included, as
// itself), numbers as JSON.stringify writes them.
//
// kpiseal manifests hold only strings and integers up to 2^53 − 1, so this
// refuses other numbers rather than reproduce RFC 8785's float formatting,
// and refuses lone surrogates, which I-JSON (and so RFC 8785) forbids and
// kpiseal's Rust reader never accepts.

import { utf8, fromUtf8, bytesEqual } from './bytes.js';

const JCS_LONE_SURROGATE = /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/;

function jcsString(text, where) {
  if (JCS_LONE_SURROGATE.test(text)) {
    throw new Error(`canonical JSON: ${where} holds a lone UTF-16 surrogate, which RFC 8785 (I-JSON) forbids`);
  }
  return JSON.stringify(text);
}

function jcsValue(value, where) {
  if (value === null) return 'null';
  switch (typeof value) {
    case 'boolean':
      return value ? 'true' : 'false';
    case 'string':
      return jcsString(value, where);
    case 'number':
      if (!Number.isSafeInteger(value)) {
        throw new Error(
          `canonical JSON: ${where} is ${value}; only integers of magnitude at most 2^53 - 1 are accepted`,
        );
      }
      return JSON.stringify(value);
    case 'object': {
      if (Array.isArray(value)) {
        return '[' + value.map((item, i) => jcsValue(item, `${where}[${i}]`)).join(',') + ']';
      }
      const proto = Object.getPrototypeOf(value);
      if (proto !== Object.prototype && proto !== null) {
        throw new Error(`canonical JSON: ${where} is not a plain JSON object`);
      }
      // Default sort compares UTF-16 code units, as RFC 8785 section 3.2.3 requires.
      const names = Object.keys(value).sort();
      const members = names.map(
        (name) => jcsString(name, `a member name in ${where}`) + ':' + jcsValue(value[name], `${where}.${name}`),
      );
      return '{' + members.join(',') + '}';
    }
    default:
      throw new Error(`canonical JSON: ${where} is a ${typeof value}, not a JSON value`);
  }
}

/**
 * The RFC 8785 (JCS) serialization of `value`, a parsed JSON value (null,
 * boolean, string, integer, array or plain object): the same value always
 * gives the same text, byte for byte the text serde_jcs writes for it.
 * Throws an Error naming the place (e.g. `$.leaves[2].count`) of a number
 * that is not an integer of magnitude at most 2^53 − 1, of a string with a
 * lone surrogate, or of anything that is not JSON.
 */
export function canonicalJson(value) {
  return jcsValue(value, '$');
}

/**
 * True when `bytes` (a Uint8Array) is exactly the RFC 8785 canonical form of
 * the JSON it holds: well-formed UTF-8 with no byte order mark, valid JSON,
 * accepted by canonicalJson, and byte-identical to its canonical form (so no
 * whitespace, members in order, no duplicate names, no other spelling of a
 * string or number). False otherwise; never throws.
 */
export function isCanonicalJson(bytes) {
  try {
    return bytesEqual(utf8(canonicalJson(JSON.parse(fromUtf8(bytes)))), bytes);
  } catch {
    return false;
  }
}
