//! A writer of pickles (protocol 2), op by op, for the crafted PyTorch checkpoints of the tests.

/// Pickle opcodes (protocol 2): each method appends one.
pub struct Pickle(pub Vec<u8>);

impl Pickle {
    pub fn new() -> Self {
        Pickle(vec![0x80, 2])
    }
    pub fn op(mut self, bytes: &[u8]) -> Self {
        self.0.extend_from_slice(bytes);
        self
    }
    pub fn int(self, n: i64) -> Self {
        match n {
            0..=255 => self.op(&[b'K', n as u8]),
            256..=65535 => self.op(b"M").op(&(n as u16).to_le_bytes()),
            _ if i32::try_from(n).is_ok() => self.op(b"J").op(&(n as i32).to_le_bytes()),
            _ => self.op(&[0x8a, 8]).op(&n.to_le_bytes()),
        }
    }
    pub fn uint(self, n: u64) -> Self {
        if n <= i64::MAX as u64 {
            self.int(n as i64)
        } else {
            self.op(&[0x8a, 9]).op(&n.to_le_bytes()).op(&[0])
        }
    }
    pub fn str(self, s: &str) -> Self {
        self.op(b"X").op(&(s.len() as u32).to_le_bytes()).op(s.as_bytes())
    }
    pub fn global(self, module: &str, name: &str) -> Self {
        self.op(b"c").op(module.as_bytes()).op(b"\n").op(name.as_bytes()).op(b"\n")
    }
    pub fn tuple(self, items: &[u64]) -> Self {
        items.iter().fold(self.op(b"("), |p, &n| p.uint(n)).op(b"t")
    }
    /// An empty OrderedDict on the stack.
    pub fn ordered_dict(self) -> Self {
        self.global("collections", "OrderedDict").op(b")R")
    }
    /// One state-dict entry: `name` → a float tensor rebuilt by `_rebuild_tensor_v2` from the
    /// storage `key` (claiming `storage_len` values) at `offset` with `size` and `stride`.
    pub fn tensor_entry(
        self,
        name: &str,
        key: &str,
        storage_len: i64,
        offset: i64,
        size: &[u64],
        stride: &[u64],
    ) -> Self {
        self.str(name)
            .global("torch._utils", "_rebuild_tensor_v2")
            .op(b"((") // the call's arguments, then the persistent id's
            .str("storage")
            .global("torch", "FloatStorage")
            .str(key)
            .str("cpu")
            .int(storage_len)
            .op(b"tQ")
            .int(offset)
            .tuple(size)
            .tuple(stride)
            .op(&[0x89])
            .ordered_dict()
            .op(b"tR")
    }
    pub fn stop(self) -> Vec<u8> {
        self.op(b".").0
    }
}
