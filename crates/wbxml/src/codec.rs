//! WBXML 1.3 encoder and decoder for the subset EAS uses.

use crate::{Element, Node, Tag};

const SWITCH_PAGE: u8 = 0x00;
const END: u8 = 0x01;
const STR_I: u8 = 0x03;
const OPAQUE: u8 = 0xC3;
const CONTENT_BIT: u8 = 0x40;
const ATTR_BIT: u8 = 0x80;

/// The four header bytes every EAS body starts with: version 1.3, public id 1
/// (unknown), charset 106 (UTF-8), empty string table.
pub const HEADER: [u8; 4] = [0x03, 0x01, 0x6A, 0x00];

/// Limits and leniencies for [`decode_with`].
#[derive(Clone, Debug)]
pub struct DecodeOptions {
    /// Deepest element nesting accepted.
    pub max_depth: usize,
    /// Most nodes (elements, texts, opaques) accepted in one document.
    pub max_nodes: usize,
    /// Accept a body with no header (some fixtures store bare token streams).
    pub allow_headerless: bool,
    /// Accept tokens that are not in the code-page table.
    pub allow_unknown_tags: bool,
}

impl Default for DecodeOptions {
    fn default() -> Self {
        DecodeOptions {
            max_depth: 64,
            max_nodes: 1_000_000,
            allow_headerless: false,
            allow_unknown_tags: false,
        }
    }
}

/// Everything that can be wrong with a WBXML body. Offsets are byte offsets
/// into the input.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DecodeError {
    /// The input ended inside a token.
    #[error("truncated input at offset {offset}")]
    Truncated { offset: usize },
    /// The header is not WBXML 1.x with UTF-8.
    #[error("bad header at offset {offset}: {reason}")]
    BadHeader { offset: usize, reason: &'static str },
    /// A multi-byte integer does not fit in 32 bits.
    #[error("multi-byte integer overflows at offset {offset}")]
    IntOverflow { offset: usize },
    /// The document uses a string table, which EAS never does.
    #[error("string table of {len} bytes is not supported (offset {offset})")]
    StringTable { offset: usize, len: u32 },
    /// A global token EAS never uses (entity, literal, extension, PI, STR_T).
    #[error("unsupported global token {token:#04x} at offset {offset}")]
    UnsupportedToken { offset: usize, token: u8 },
    /// A tag with the attribute bit set.
    #[error("attributes are not supported (token {token:#04x} at offset {offset})")]
    Attributes { offset: usize, token: u8 },
    /// SWITCH_PAGE to a page that does not exist.
    #[error("unknown code page {page} at offset {offset}")]
    UnknownPage { offset: usize, page: u8 },
    /// A tag token that is not in the table for its page.
    #[error("unknown tag {token:#04x} on code page {page} at offset {offset}")]
    UnknownTag { offset: usize, page: u8, token: u8 },
    /// Text or opaque data outside any element, or END with nothing open.
    #[error("{what} outside the root element at offset {offset}")]
    OutsideRoot { offset: usize, what: &'static str },
    /// More than one root element, or bytes after the root.
    #[error("trailing data after the root element at offset {offset}")]
    TrailingData { offset: usize },
    /// No root element at all.
    #[error("empty document")]
    Empty,
    /// Nesting deeper than [`DecodeOptions::max_depth`].
    #[error("nesting deeper than {limit} at offset {offset}")]
    TooDeep { offset: usize, limit: usize },
    /// More nodes than [`DecodeOptions::max_nodes`].
    #[error("more than {limit} nodes at offset {offset}")]
    TooManyNodes { offset: usize, limit: usize },
    /// An OPAQUE length runs past the end of the input.
    #[error("opaque length {len} runs past the end at offset {offset}")]
    LengthPastEnd { offset: usize, len: u32 },
    /// An inline string is not UTF-8.
    #[error("inline string is not UTF-8 at offset {offset}")]
    BadUtf8 { offset: usize },
}

/// Decodes a WBXML body with default limits.
///
/// # Errors
/// Any [`DecodeError`]; never panics, whatever the input.
pub fn decode(bytes: &[u8]) -> Result<Element, DecodeError> {
    decode_with(bytes, &DecodeOptions::default())
}

/// Decodes a WBXML body with explicit limits.
///
/// Memory stays proportional to the input: text and opaque bytes are copied
/// out of the input (so together they never exceed its length, and no length
/// field is trusted before it has been checked against the bytes that are
/// really there), and every node costs at least one input byte. The only
/// amplification is the per-node overhead (a few dozen bytes), which
/// [`DecodeOptions::max_nodes`] bounds. A separate cap on text bytes would
/// therefore only repeat the caller's cap on the body size.
///
/// # Errors
/// Any [`DecodeError`]; never panics, whatever the input.
pub fn decode_with(bytes: &[u8], opts: &DecodeOptions) -> Result<Element, DecodeError> {
    let headerless = opts.allow_headerless && !bytes.starts_with(&[0x03, 0x01]);
    let mut r = Reader { buf: bytes, pos: 0 };
    if !headerless {
        read_header(&mut r)?;
    }
    let mut nodes = decode_nodes(&mut r, opts, false)?;
    match nodes.pop() {
        Some(Node::Element(root)) => Ok(root),
        _ => Err(DecodeError::Empty),
    }
}

/// Decodes a header-less token stream holding any number of top-level nodes
/// (elements, text, opaque data), as WBXML fixtures cut out of a larger
/// document are stored (e.g. the children of an `ApplicationData`).
///
/// # Errors
/// Any [`DecodeError`] except the header ones; [`DecodeError::Empty`] when
/// there is nothing at all. Never panics.
pub fn decode_fragment(bytes: &[u8], opts: &DecodeOptions) -> Result<Vec<Node>, DecodeError> {
    let mut r = Reader { buf: bytes, pos: 0 };
    let nodes = decode_nodes(&mut r, opts, true)?;
    if nodes.is_empty() {
        return Err(DecodeError::Empty);
    }
    Ok(nodes)
}

/// The token loop. In document mode (`fragment == false`) exactly one root
/// element is allowed and returned as the only node.
fn decode_nodes(r: &mut Reader<'_>, opts: &DecodeOptions, fragment: bool) -> Result<Vec<Node>, DecodeError> {
    let mut page: u8 = 0;
    let mut stack: Vec<Element> = Vec::new();
    let mut top: Vec<Node> = Vec::new();
    let mut nodes = 0usize;
    while r.pos < r.buf.len() {
        let offset = r.pos;
        let tok = r.byte()?;
        match tok {
            SWITCH_PAGE => {
                let p = r.byte()?;
                if p as usize >= crate::tags::NAMESPACES.len() && !opts.allow_unknown_tags {
                    return Err(DecodeError::UnknownPage { offset, page: p });
                }
                page = p;
            }
            END => {
                let done = stack.pop().ok_or(DecodeError::OutsideRoot { offset, what: "END" })?;
                attach(&mut stack, &mut top, Node::Element(done), offset, fragment)?;
            }
            STR_I => {
                let s = r.inline_str()?;
                count(&mut nodes, opts, offset)?;
                attach(&mut stack, &mut top, Node::Text(s.to_owned()), offset, fragment)?;
            }
            OPAQUE => {
                let len = r.mb_u32()?;
                // Bounds first: a hostile length never reaches an allocation.
                let data = r.take(len).ok_or(DecodeError::LengthPastEnd { offset, len })?;
                count(&mut nodes, opts, offset)?;
                attach(&mut stack, &mut top, Node::Opaque(data.to_vec()), offset, fragment)?;
            }
            0x02 | 0x04 | 0x40..=0x44 | 0x80..=0x84 | 0xC0..=0xC2 | 0xC4 => {
                return Err(DecodeError::UnsupportedToken { offset, token: tok });
            }
            _ => {
                if tok & ATTR_BIT != 0 {
                    return Err(DecodeError::Attributes { offset, token: tok });
                }
                let token = tok & 0x3F;
                let tag = Tag::new(page, token);
                if !opts.allow_unknown_tags && !tag.is_known() {
                    return Err(DecodeError::UnknownTag { offset, page, token });
                }
                if !fragment && stack.is_empty() && !top.is_empty() {
                    return Err(DecodeError::TrailingData { offset });
                }
                count(&mut nodes, opts, offset)?;
                let el = Element::new(tag);
                if tok & CONTENT_BIT != 0 {
                    if stack.len() >= opts.max_depth {
                        return Err(DecodeError::TooDeep {
                            offset,
                            limit: opts.max_depth,
                        });
                    }
                    stack.push(el);
                } else {
                    attach(&mut stack, &mut top, Node::Element(el), offset, fragment)?;
                }
            }
        }
    }
    if !stack.is_empty() {
        return Err(DecodeError::Truncated { offset: r.buf.len() });
    }
    Ok(top)
}

fn count(nodes: &mut usize, opts: &DecodeOptions, offset: usize) -> Result<(), DecodeError> {
    *nodes += 1;
    if *nodes > opts.max_nodes {
        return Err(DecodeError::TooManyNodes {
            offset,
            limit: opts.max_nodes,
        });
    }
    Ok(())
}

fn attach(
    stack: &mut [Element],
    top: &mut Vec<Node>,
    node: Node,
    offset: usize,
    fragment: bool,
) -> Result<(), DecodeError> {
    match stack.last_mut() {
        Some(parent) => parent.children.push(node),
        None if fragment => top.push(node),
        None => match node {
            Node::Element(_) if top.is_empty() => top.push(node),
            Node::Element(_) => return Err(DecodeError::TrailingData { offset }),
            Node::Text(_) => return Err(DecodeError::OutsideRoot { offset, what: "text" }),
            Node::Opaque(_) => {
                return Err(DecodeError::OutsideRoot {
                    offset,
                    what: "opaque data",
                })
            }
        },
    }
    Ok(())
}

fn read_header(r: &mut Reader<'_>) -> Result<(), DecodeError> {
    let version = r.byte()?;
    if !(0x01..=0x03).contains(&version) {
        return Err(DecodeError::BadHeader {
            offset: 0,
            reason: "not a WBXML 1.x version byte",
        });
    }
    let public_id = r.mb_u32()?;
    if public_id == 0 {
        // A public id given as a string-table index; EAS never does this.
        let offset = r.pos;
        let idx = r.mb_u32()?;
        return Err(DecodeError::StringTable { offset, len: idx });
    }
    let offset = r.pos;
    let charset = r.mb_u32()?;
    if charset != 106 && charset != 0 {
        return Err(DecodeError::BadHeader {
            offset,
            reason: "charset is not UTF-8",
        });
    }
    let offset = r.pos;
    let st_len = r.mb_u32()?;
    if st_len != 0 {
        return Err(DecodeError::StringTable { offset, len: st_len });
    }
    Ok(())
}

struct Reader<'a> {
    buf: &'a [u8],
    pos: usize,
}

impl<'a> Reader<'a> {
    fn byte(&mut self) -> Result<u8, DecodeError> {
        let b = *self
            .buf
            .get(self.pos)
            .ok_or(DecodeError::Truncated { offset: self.pos })?;
        self.pos += 1;
        Ok(b)
    }

    /// The NUL-terminated UTF-8 string at the cursor, NUL consumed.
    fn inline_str(&mut self) -> Result<&'a str, DecodeError> {
        let start = self.pos;
        let rest = self.buf.get(start..).unwrap_or_default();
        let len = rest
            .iter()
            .position(|&b| b == 0)
            .ok_or(DecodeError::Truncated { offset: self.buf.len() })?;
        let raw = rest.get(..len).unwrap_or_default();
        let s = std::str::from_utf8(raw).map_err(|_| DecodeError::BadUtf8 { offset: start })?;
        self.pos = start + len + 1;
        Ok(s)
    }

    /// The next `len` bytes, or `None` (cursor unmoved) if fewer remain.
    fn take(&mut self, len: u32) -> Option<&'a [u8]> {
        let end = self.pos.checked_add(usize::try_from(len).ok()?)?;
        let data = self.buf.get(self.pos..end)?;
        self.pos = end;
        Some(data)
    }

    fn mb_u32(&mut self) -> Result<u32, DecodeError> {
        let start = self.pos;
        let mut v: u32 = 0;
        for _ in 0..5 {
            let b = self.byte()?;
            if v > (u32::MAX >> 7) {
                return Err(DecodeError::IntOverflow { offset: start });
            }
            v = (v << 7) | u32::from(b & 0x7F);
            if b & 0x80 == 0 {
                return Ok(v);
            }
        }
        Err(DecodeError::IntOverflow { offset: start })
    }
}

/// Encodes a document: the EAS header followed by [`encode_body`].
pub fn encode(root: &Element) -> Vec<u8> {
    let mut out = Vec::with_capacity(256);
    out.extend_from_slice(&HEADER);
    encode_into(root, &mut out, &mut 0);
    out
}

/// Encodes an element without the header, starting on code page 0.
pub fn encode_body(root: &Element) -> Vec<u8> {
    let mut out = Vec::with_capacity(256);
    encode_into(root, &mut out, &mut 0);
    out
}

fn encode_into(el: &Element, out: &mut Vec<u8>, page: &mut u8) {
    // Iterative, so that deep trees cannot exhaust the stack.
    enum Step<'a> {
        Node(&'a Node),
        Open(&'a Element),
        Close,
    }
    let mut work = vec![Step::Open(el)];
    while let Some(step) = work.pop() {
        match step {
            Step::Close => out.push(END),
            Step::Node(Node::Element(e)) | Step::Open(e) => {
                if e.tag.page != *page {
                    out.push(SWITCH_PAGE);
                    out.push(e.tag.page);
                    *page = e.tag.page;
                }
                let tok = e.tag.token & 0x3F;
                if e.children.is_empty() {
                    out.push(tok);
                    continue;
                }
                out.push(tok | CONTENT_BIT);
                work.push(Step::Close);
                work.extend(e.children.iter().rev().map(Step::Node));
            }
            Step::Node(Node::Text(t)) => {
                out.push(STR_I);
                // NUL cannot be represented inside STR_I; it terminates the string.
                out.extend(t.bytes().filter(|&b| b != 0));
                out.push(0);
            }
            Step::Node(Node::Opaque(b)) => {
                out.push(OPAQUE);
                write_mb_u32(out, b.len() as u32);
                out.extend_from_slice(b);
            }
        }
    }
}

/// Writes a WBXML multi-byte unsigned integer.
pub(crate) fn write_mb_u32(out: &mut Vec<u8>, mut v: u32) {
    let mut tmp = [0u8; 5];
    let mut i = tmp.len();
    loop {
        i -= 1;
        tmp[i] = (v & 0x7F) as u8 | if i == tmp.len() - 1 { 0 } else { 0x80 };
        v >>= 7;
        if v == 0 {
            break;
        }
    }
    out.extend_from_slice(&tmp[i..]);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mb_u32_examples() {
        let mut v = Vec::new();
        write_mb_u32(&mut v, 300);
        assert_eq!(v, [0x82, 0x2C]);
        let mut r = Reader { buf: &v, pos: 0 };
        assert_eq!(r.mb_u32().unwrap(), 300);
        let over = [0x90, 0x80, 0x80, 0x80, 0x00];
        let mut r = Reader { buf: &over, pos: 0 };
        assert_eq!(r.mb_u32(), Err(DecodeError::IntOverflow { offset: 0 }));
    }
}
