//! Type 2 charstrings (Adobe Technical Note #5177) made plain for embedding: every
//! subroutine call inlined, and a leading `hmoveto`/`vmoveto` written as `rmoveto`.
//!
//! Why: a charstring's advance width is an optional first operand, told apart only by
//! counting the operands of the first stack-clearing operator. A reader that does not
//! execute subroutines, or that does not know `hmoveto` takes one argument, reads the
//! wrong width (PDF/A validators compare it with the PDF's `/W`). After [`flatten`], the
//! operands before the first operator are all there is, and the first operator takes an
//! even number of arguments (`hstem`, `vstem`, `hstemhm`, `vstemhm`, `rmoveto`, `hintmask`,
//! `cntrmask`) or is `endchar`, so "an odd count means the first operand is the width"
//! holds for every glyph. The outline and the hints are unchanged.

/// Why a charstring could not be flattened.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CharstringError {
    #[error("a number or a mask runs past the end of the charstring")]
    Truncated,
    #[error("a call to {kind} subroutine {index}, which the font does not have")]
    MissingSubroutine { kind: &'static str, index: i64 },
    #[error("subroutine calls nested deeper than {MAX_CALL_DEPTH}")]
    TooDeep,
    #[error("more than {MAX_OPERANDS} operands on the stack")]
    TooManyOperands,
    #[error("the flattened charstring would exceed {MAX_FLAT_BYTES} bytes")]
    TooLong,
    #[error("a subroutine call without an integer subroutine number")]
    BadCall,
}

/// The Type 2 limit on subroutine nesting (TN 5177, Appendix B).
const MAX_CALL_DEPTH: usize = 10;
/// The Type 2 argument stack limit.
const MAX_OPERANDS: usize = 48;
/// A bound on one flattened glyph, so a hostile font cannot make inlining explode.
const MAX_FLAT_BYTES: usize = 1 << 16;

const HSTEM: u8 = 1;
const VSTEM: u8 = 3;
const VMOVETO: u8 = 4;
const CALLSUBR: u8 = 10;
const RETURN: u8 = 11;
const ESCAPE: u8 = 12;
const ENDCHAR: u8 = 14;
const HSTEMHM: u8 = 18;
const HINTMASK: u8 = 19;
const CNTRMASK: u8 = 20;
const RMOVETO: u8 = 21;
const HMOVETO: u8 = 22;
const VSTEMHM: u8 = 23;
const CALLGSUBR: u8 = 29;
/// The number 0 in one byte.
const ZERO: u8 = 139;

/// The subroutines a glyph may call: the font's global ones and its (Font DICT's) local ones.
pub struct Subroutines<'g, 'l> {
    pub global: &'g dyn Fn(usize) -> Option<&'g [u8]>,
    pub global_count: usize,
    pub local: &'l dyn Fn(usize) -> Option<&'l [u8]>,
    pub local_count: usize,
}

/// The bias added to a subroutine number (TN 5177, 4.7).
fn bias(count: usize) -> i64 {
    match count {
        0..1240 => 107,
        1240..33900 => 1131,
        _ => 32768,
    }
}

/// One operand as written: its bytes and, when it is an integer, its value.
#[derive(Debug, Clone)]
struct Operand {
    bytes: Vec<u8>,
    integer: Option<i64>,
}

/// The state of one glyph's flattening.
struct Flattener<'s, 'g, 'l> {
    subrs: &'s Subroutines<'g, 'l>,
    out: Vec<u8>,
    operands: Vec<Operand>,
    stems: usize,
    /// No stack-clearing operator has been written yet.
    first: bool,
    done: bool,
}

/// The charstring `program` with every `callsubr`/`callgsubr` replaced by the body it
/// calls (without its `return`), everything after `endchar` dropped, and a first
/// `hmoveto`/`vmoveto` written as `rmoveto` with a zero operand. Numbers keep their
/// bytes. Promises: the result draws the same outline with the same hints and width.
///
/// # Errors
/// [`CharstringError`] for a charstring that is malformed, calls a subroutine the font
/// lacks, nests calls deeper than Type 2 allows, or would flatten to more than 64 KiB.
pub fn flatten(program: &[u8], subrs: &Subroutines<'_, '_>) -> Result<Vec<u8>, CharstringError> {
    let mut flattener = Flattener {
        subrs,
        out: Vec::with_capacity(program.len() * 2),
        operands: Vec::new(),
        stems: 0,
        first: true,
        done: false,
    };
    flattener.run(program, 0)?;
    // A charstring that ends without endchar (allowed only in subroutines) keeps its tail.
    flattener.emit_operands();
    Ok(flattener.out)
}

impl Flattener<'_, '_, '_> {
    fn run(&mut self, program: &[u8], depth: usize) -> Result<(), CharstringError> {
        if depth > MAX_CALL_DEPTH {
            return Err(CharstringError::TooDeep);
        }
        let mut at = 0;
        while at < program.len() && !self.done {
            let byte = program[at];
            if let Some((len, integer)) = number(&program[at..])? {
                if self.operands.len() == MAX_OPERANDS {
                    return Err(CharstringError::TooManyOperands);
                }
                self.operands.push(Operand { bytes: program[at..at + len].to_vec(), integer });
                at += len;
                continue;
            }
            at += 1;
            match byte {
                CALLSUBR | CALLGSUBR => {
                    let (kind, count) = if byte == CALLSUBR {
                        ("local", self.subrs.local_count)
                    } else {
                        ("global", self.subrs.global_count)
                    };
                    let number = self.operands.pop().and_then(|o| o.integer).ok_or(CharstringError::BadCall)?;
                    let index = number + bias(count);
                    let body = usize::try_from(index)
                        .ok()
                        .and_then(|i| if byte == CALLSUBR { (self.subrs.local)(i) } else { (self.subrs.global)(i) })
                        .ok_or(CharstringError::MissingSubroutine { kind, index })?;
                    self.run(body, depth + 1)?;
                }
                RETURN => return Ok(()),
                ESCAPE => {
                    let second = *program.get(at).ok_or(CharstringError::Truncated)?;
                    at += 1;
                    self.emit_operands();
                    self.push(&[ESCAPE, second])?;
                }
                HINTMASK | CNTRMASK => {
                    // Operands before the first mask are an implicit vstem(hm).
                    self.count_stems();
                    self.first = false;
                    self.emit_operands();
                    let len = self.stems.div_ceil(8);
                    let mask = program.get(at..at + len).ok_or(CharstringError::Truncated)?;
                    at += len;
                    self.push(&[byte])?;
                    self.push(mask)?;
                }
                HSTEM | VSTEM | HSTEMHM | VSTEMHM => {
                    self.count_stems();
                    self.first = false;
                    self.emit_operands();
                    self.push(&[byte])?;
                }
                HMOVETO | VMOVETO if self.first => {
                    self.first = false;
                    let zero = Operand { bytes: vec![ZERO], integer: Some(0) };
                    let at_end = self.operands.len();
                    // hmoveto: [w] dx → [w] dx 0; vmoveto: [w] dy → [w] 0 dy.
                    let position = if byte == HMOVETO { at_end } else { at_end.saturating_sub(1) };
                    self.operands.insert(position, zero);
                    self.emit_operands();
                    self.push(&[RMOVETO])?;
                }
                ENDCHAR => {
                    self.emit_operands();
                    self.push(&[ENDCHAR])?;
                    self.done = true;
                }
                _ => {
                    self.first = false;
                    self.emit_operands();
                    self.push(&[byte])?;
                }
            }
        }
        Ok(())
    }

    /// Counts the stem hints the pending operands declare (a leading odd operand is the width).
    fn count_stems(&mut self) {
        self.stems += self.operands.len() / 2;
    }

    fn emit_operands(&mut self) {
        for operand in self.operands.drain(..) {
            self.out.extend_from_slice(&operand.bytes);
        }
    }

    fn push(&mut self, bytes: &[u8]) -> Result<(), CharstringError> {
        self.out.extend_from_slice(bytes);
        if self.out.len() > MAX_FLAT_BYTES {
            return Err(CharstringError::TooLong);
        }
        Ok(())
    }
}

/// The number at the start of `bytes`: `Some((length, integer value if integral))`, or
/// `None` when the first byte is an operator.
fn number(bytes: &[u8]) -> Result<Option<(usize, Option<i64>)>, CharstringError> {
    let b0 = bytes[0];
    let byte = |i: usize| bytes.get(i).copied().map(i64::from).ok_or(CharstringError::Truncated);
    Ok(Some(match b0 {
        28 => (3, Some(i64::from(i16::from_be_bytes([byte(1)? as u8, byte(2)? as u8])))),
        32..=246 => (1, Some(i64::from(b0) - 139)),
        247..=250 => (2, Some((i64::from(b0) - 247) * 256 + byte(1)? + 108)),
        251..=254 => (2, Some(-(i64::from(b0) - 251) * 256 - byte(1)? - 108)),
        255 => {
            let fixed = i32::from_be_bytes([byte(1)? as u8, byte(2)? as u8, byte(3)? as u8, byte(4)? as u8]);
            (5, (fixed & 0xffff == 0).then_some(i64::from(fixed >> 16)))
        }
        _ => return Ok(None),
    }))
}

/// The advance width a reader that does not execute subroutines finds in `program`: the
/// first operand when the operands before the first operator are odd in number (or one,
/// before `endchar`), else `default`. After [`flatten`] this is the glyph's true width.
/// The tests read widths with it as a PDF/A validator does.
#[cfg(test)]
pub fn width_without_subroutines(program: &[u8], nominal: i64, default: i64) -> Option<i64> {
    let mut operands = Vec::new();
    let mut at = 0;
    while at < program.len() {
        match number(&program[at..]).ok()? {
            Some((len, value)) => {
                operands.push(value);
                at += len;
            }
            None => {
                let has_width = if program[at] == ENDCHAR { operands.len() == 1 } else { operands.len() % 2 == 1 };
                return Some(if has_width { nominal + operands[0]? } else { default });
            }
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    fn no_subrs() -> Subroutines<'static, 'static> {
        Subroutines { global: &|_| None, global_count: 0, local: &|_| None, local_count: 0 }
    }

    #[test]
    fn a_first_hmoveto_becomes_rmoveto_and_keeps_the_width_readable() {
        // width -79, hmoveto 82, then a line and endchar.
        let program = [60, 221, HMOVETO, 239, 6, ENDCHAR];
        let flat = flatten(&program, &no_subrs()).unwrap();
        assert_eq!(flat, [60, 221, ZERO, RMOVETO, 239, 6, ENDCHAR]);
        assert_eq!(width_without_subroutines(&program, 669, 626), Some(626), "the naive reading is wrong before");
        assert_eq!(width_without_subroutines(&flat, 669, 626), Some(590));
    }

    #[test]
    fn a_first_vmoveto_without_a_width_gets_its_zero_before_dy() {
        let flat = flatten(&[200, VMOVETO, ENDCHAR], &no_subrs()).unwrap();
        assert_eq!(flat, [ZERO, 200, RMOVETO, ENDCHAR]);
        assert_eq!(width_without_subroutines(&flat, 669, 626), Some(626));
    }

    #[test]
    fn subroutine_calls_are_inlined_with_their_bias_and_without_return() {
        // Global subroutine 0 (number -107 with bias 107) holds "82 hmoveto return" after
        // the caller pushed the width: the width only shows once it is inlined.
        let global = [221u8, HMOVETO, RETURN];
        let lookup = |i: usize| (i == 0).then_some(&global[..]);
        let subrs = Subroutines { global: &lookup, global_count: 1, local: &|_| None, local_count: 0 };
        let program = [60, 32, CALLGSUBR, ENDCHAR]; // -79, -107 callgsubr
        let flat = flatten(&program, &subrs).unwrap();
        assert_eq!(flat, [60, 221, ZERO, RMOVETO, ENDCHAR]);
        assert_eq!(width_without_subroutines(&flat, 669, 626), Some(590));
    }

    #[test]
    fn hintmask_bytes_follow_the_stem_count_including_implicit_vstems() {
        // hstemhm with 2 stems (4 operands), then 9 more implicit vstem operands? No: 8
        // operands = 4 implicit vstems before hintmask: 6 stems, one mask byte.
        let mut program = vec![139, 139, 139, 139, HSTEMHM];
        program.extend([139; 8]);
        program.extend([HINTMASK, 0b1111_1100, 139, 139, RMOVETO, ENDCHAR]);
        assert_eq!(flatten(&program, &no_subrs()).unwrap(), program);
        // With 9 stems the mask takes two bytes.
        let mut program = vec![139, 139, 139, 139, HSTEMHM];
        program.extend([139; 14]);
        program.extend([HINTMASK, 0xff, 0x80, 139, 139, RMOVETO, ENDCHAR]);
        assert_eq!(flatten(&program, &no_subrs()).unwrap(), program);
    }

    #[test]
    fn hostile_charstrings_are_refused_not_looped_or_exploded() {
        // A local subroutine that calls itself.
        let looping = [32u8, CALLSUBR, RETURN];
        let lookup = |i: usize| (i == 0).then_some(&looping[..]);
        let subrs = Subroutines { global: &|_| None, global_count: 0, local: &lookup, local_count: 1 };
        assert_eq!(flatten(&[32, CALLSUBR, ENDCHAR], &subrs), Err(CharstringError::TooDeep));
        assert_eq!(
            flatten(&[139, CALLSUBR], &no_subrs()),
            Err(CharstringError::MissingSubroutine { kind: "local", index: 107 })
        );
        assert_eq!(flatten(&[28, 1], &no_subrs()), Err(CharstringError::Truncated));
        assert_eq!(flatten(&[CALLGSUBR], &no_subrs()), Err(CharstringError::BadCall));
        assert_eq!(flatten(&[139; 49], &no_subrs()), Err(CharstringError::TooManyOperands));
        // Ten calls of ten calls of ... a long body: bounded by the output limit.
        let body: Vec<u8> = [139u8, 139, RMOVETO].repeat(400).into_iter().chain([RETURN]).collect();
        let fan: Vec<u8> = [32u8, CALLSUBR].repeat(10).into_iter().chain([RETURN]).collect();
        let fan2: Vec<u8> = [33u8, CALLSUBR].repeat(10).into_iter().chain([RETURN]).collect();
        let lookup = |i: usize| match i {
            0 => Some(&body[..]),
            1 => Some(&fan[..]),
            2 => Some(&fan2[..]),
            _ => None,
        };
        let subrs = Subroutines { global: &|_| None, global_count: 0, local: &lookup, local_count: 3 };
        assert_eq!(flatten(&[34, CALLSUBR, ENDCHAR], &subrs), Err(CharstringError::TooLong));
    }
}
