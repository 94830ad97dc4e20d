//! Streaming reads: files are hashed in 64 KiB pieces, never held whole.

use std::io::{self, Read};

/// Size of one read.
pub(crate) const CHUNK: usize = 64 * 1024;

/// Calls `each` with successive pieces of `reader` until its end (retrying
/// interrupted reads) and returns the number of bytes read.
pub(crate) fn for_each_chunk(mut reader: impl Read, mut each: impl FnMut(&[u8])) -> io::Result<u64> {
    let mut buf = vec![0u8; CHUNK];
    let mut total = 0u64;
    loop {
        match reader.read(&mut buf) {
            Ok(0) => return Ok(total),
            Ok(n) => {
                each(&buf[..n]);
                total += n as u64;
            }
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
}
