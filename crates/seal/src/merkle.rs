//! Merkle tree hashes as RFC 6962 (Certificate Transparency), section 2.1,
//! defines them, with SHA-256:
//!
//! ```text
//! leaf hash   = SHA-256(0x00 ‖ leaf bytes)
//! node hash   = SHA-256(0x01 ‖ left ‖ right)
//! MTH(D[0:n]) = leaf hash of D[0]                             when n = 1
//!             = node hash of MTH(D[0:k]) and MTH(D[k:n])      when n > 1,
//!               k the largest power of two smaller than n
//! ```
//!
//! The distinct 0x00 / 0x01 prefixes keep a leaf from ever being read as an
//! inner node (second-preimage resistance). For a number of leaves that is
//! not a power of two the split makes the left subtree a full one, so the
//! tree is the same whichever way one computes it (recursively as above, or
//! level by level carrying an odd last node up unchanged).
//!
//! **The empty tree.** RFC 6962 gives the tree of no leaves the hash
//! SHA-256 of the empty string. This module refuses it instead
//! ([`EmptyTree`]): a root is used here to seal a period's statements, and
//! a seal over no statement would be a valid-looking signature of nothing.

use sha2::{Digest, Sha256};

/// A SHA-256 digest: a leaf hash, a node hash or a root.
pub type Hash = [u8; 32];

/// The error for a tree of no leaves, which has no root here (see the module docs).
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("a Merkle tree needs at least one leaf; there is nothing to seal")]
pub struct EmptyTree;

/// `SHA-256(0x00 ‖ data)`: the hash of a leaf holding `data`.
pub fn leaf_hash(data: &[u8]) -> Hash {
    let mut h = Sha256::new();
    h.update([0x00]);
    h.update(data);
    h.finalize().into()
}

/// `SHA-256(0x01 ‖ left ‖ right)`: the hash of an inner node.
pub fn node_hash(left: &Hash, right: &Hash) -> Hash {
    let mut h = Sha256::new();
    h.update([0x01]);
    h.update(left);
    h.update(right);
    h.finalize().into()
}

/// The RFC 6962 root of the leaves holding `leaves`, in this order.
///
/// # Errors
/// [`EmptyTree`] when `leaves` is empty.
pub fn root<T: AsRef<[u8]>>(leaves: &[T]) -> Result<Hash, EmptyTree> {
    let hashes: Vec<Hash> = leaves.iter().map(|l| leaf_hash(l.as_ref())).collect();
    root_of_leaf_hashes(&hashes)
}

/// The RFC 6962 root over already computed leaf hashes (each a
/// [`leaf_hash`]), in this order.
///
/// # Errors
/// [`EmptyTree`] when `leaf_hashes` is empty.
pub fn root_of_leaf_hashes(leaf_hashes: &[Hash]) -> Result<Hash, EmptyTree> {
    match leaf_hashes {
        [] => Err(EmptyTree),
        [only] => Ok(*only),
        _ => {
            let k = split_point(leaf_hashes.len());
            let (left, right) = leaf_hashes.split_at(k);
            Ok(node_hash(&root_of_leaf_hashes(left)?, &root_of_leaf_hashes(right)?))
        }
    }
}

/// The largest power of two strictly smaller than `n` (for `n ≥ 2`).
fn split_point(n: usize) -> usize {
    debug_assert!(n >= 2);
    let below = n - 1;
    1 << (usize::BITS - 1 - below.leading_zeros())
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn hex(h: Hash) -> String {
        hex::encode(h)
    }

    #[test]
    fn the_split_is_the_largest_power_of_two_below_n() {
        let cases = [(2, 1), (3, 2), (4, 2), (5, 4), (7, 4), (8, 4), (9, 8), (1000, 512)];
        for (n, k) in cases {
            assert_eq!(split_point(n), k, "n = {n}");
        }
    }

    /// Leaves `a`..`e`; each expected root computed by hand with Python's
    /// hashlib from the formulas spelled out, e.g. for three leaves
    /// `sha256(b"\1" + sha256(b"\1" + L(a) + L(b)) + L(c))`.
    #[test]
    fn small_trees_have_their_hand_computed_roots() {
        let leaves: Vec<[u8; 1]> = b"abcde".iter().map(|b| [*b]).collect();
        let expected = [
            (1, "022a6979e6dab7aa5ae4c3e5e45f7e977112a7e63593820dbec1ec738a24f93c"),
            (2, "b137985ff484fb600db93107c77b0365c80d78f5b429ded0fd97361d077999eb"),
            (3, "36642e73c2540ab121e3a6bf9545b0a24982cd830eb13d3cd19de3ce6c021ec1"),
            (5, "fe14a5426fbd70c0fa73f52342afed0da0bd23c4838662ccf6b88a3070ead97b"),
        ];
        for (n, root_hex) in expected {
            assert_eq!(hex(root(&leaves[..n]).unwrap()), root_hex, "{n} leaves");
        }
        let l = |i: usize| leaf_hash(&leaves[i]);
        assert_eq!(root(&leaves[..3]).unwrap(), node_hash(&node_hash(&l(0), &l(1)), &l(2)));
    }

    /// The reference tree of the Certificate Transparency test suite (eight
    /// leaves `""`, `00`, `10`, `2021`, `3031`, `40414243`, `50…57`,
    /// `60…6f`); roots of its first n leaves.
    #[test]
    fn the_certificate_transparency_reference_tree_has_its_published_roots() {
        let leaves: Vec<Vec<u8>> = vec![
            vec![],
            vec![0x00],
            vec![0x10],
            vec![0x20, 0x21],
            vec![0x30, 0x31],
            vec![0x40, 0x41, 0x42, 0x43],
            (0x50..0x58).collect(),
            (0x60..0x70).collect(),
        ];
        let roots = [
            "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
            "fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125",
            "aeb6bcfe274b70a14fb067a5e5578264db0fa9b51af5e0ba159158f329e06e77",
            "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
            "4e3bbb1f7b478dcfe71fb631631519a3bca12c9aefca1612bfce4c13a86264d4",
            "76e67dadbcdf1e10e1b74ddc608abd2f98dfb16fbce75277b5232a127f2087ef",
            "ddb89be403809e325750d3d263cd78929c2942b7942a34b77e122c9594a74c8c",
            "5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328",
        ];
        for (n, expected) in roots.iter().enumerate() {
            assert_eq!(hex(root(&leaves[..=n]).unwrap()), *expected, "{} leaves", n + 1);
        }
    }

    #[test]
    fn an_empty_tree_has_no_root() {
        assert_eq!(root::<&[u8]>(&[]), Err(EmptyTree));
        assert_eq!(root_of_leaf_hashes(&[]), Err(EmptyTree));
    }

    /// Level by level, an odd last node carried up unchanged.
    fn root_level_by_level(leaves: &[Vec<u8>]) -> Hash {
        let mut level: Vec<Hash> = leaves.iter().map(|l| leaf_hash(l)).collect();
        while level.len() > 1 {
            level = level.chunks(2).map(|pair| if let [l, r] = pair { node_hash(l, r) } else { pair[0] }).collect();
        }
        level[0]
    }

    proptest! {
        #[test]
        fn the_recursive_split_agrees_with_the_level_by_level_tree(
            leaves in proptest::collection::vec(proptest::collection::vec(any::<u8>(), 0..8), 1..40)
        ) {
            prop_assert_eq!(root(&leaves).unwrap(), root_level_by_level(&leaves));
        }

        #[test]
        fn changing_any_leaf_changes_the_root(
            leaves in proptest::collection::vec(proptest::collection::vec(any::<u8>(), 1..8), 1..20),
            pick in any::<proptest::sample::Index>(),
        ) {
            let mut changed = leaves.clone();
            let i = pick.index(changed.len());
            changed[i][0] ^= 1;
            prop_assert_ne!(root(&leaves).unwrap(), root(&changed).unwrap());
        }
    }
}
