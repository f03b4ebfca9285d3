//! Reads PyTorch's legacy checkpoint format (what `torch.save` wrote before 1.6, not a zip)
//! without PyTorch: five pickles (magic number, protocol version, system info, the object,
//! the list of storage keys), then every storage as an 8-byte little-endian element count
//! and its raw little-endian values.
//!
//! The pickle machine here knows the opcodes such a state dict uses (protocol 2): an
//! OrderedDict of tensors rebuilt by `torch._utils._rebuild_tensor_v2` from persistent
//! storage ids. Anything else is an error that names the opcode, never a panic.

use crate::error::{Error, Result};
use std::collections::HashMap;

/// One tensor of a state dict.
#[derive(Clone, Debug, PartialEq)]
pub struct TorchTensor {
    pub shape: Vec<usize>,
    /// Values as f32 (integer storages such as BN's num_batches_tracked are converted).
    pub values: Vec<f32>,
    /// "FloatStorage", "LongStorage", …
    pub storage_type: String,
}

/// A state dict: names in file order, with their tensors.
pub struct StateDict {
    pub tensors: Vec<(String, TorchTensor)>,
}

#[derive(Clone, Debug)]
enum V {
    None,
    Bool,
    Int(i64),
    /// An integer too long for i64 (PyTorch's magic number), as little-endian bytes.
    Long(Vec<u8>),
    Str(String),
    Tuple(Vec<V>),
    List(Vec<V>),
    Dict(Vec<(V, V)>),
    Global(String, String),
    /// A persistent id: ("storage", storage type, key, location, size).
    Storage {
        kind: String,
        key: String,
    },
    /// `_rebuild_tensor_v2(storage, offset, size, stride, …)`.
    Tensor {
        kind: String,
        key: String,
        offset: usize,
        size: Vec<usize>,
        stride: Vec<usize>,
    },
    Mark,
}

fn bad(what: String) -> Error {
    Error::Data(format!("not a readable PyTorch checkpoint: {what}"))
}

struct Reader<'a> {
    b: &'a [u8],
    pos: usize,
}

impl<'a> Reader<'a> {
    fn take(&mut self, n: usize) -> Result<&'a [u8]> {
        let end = self
            .pos
            .checked_add(n)
            .filter(|&e| e <= self.b.len())
            .ok_or_else(|| bad(format!("the file ends early (at byte {} of {})", self.pos, self.b.len())))?;
        let s = &self.b[self.pos..end];
        self.pos = end;
        Ok(s)
    }
    fn u8(&mut self) -> Result<u8> {
        Ok(self.take(1)?[0])
    }
    fn u16(&mut self) -> Result<u16> {
        let s = self.take(2)?;
        Ok(u16::from_le_bytes([s[0], s[1]]))
    }
    fn u32(&mut self) -> Result<u32> {
        let s = self.take(4)?;
        Ok(u32::from_le_bytes([s[0], s[1], s[2], s[3]]))
    }
    fn line(&mut self) -> Result<String> {
        let start = self.pos;
        while self.u8()? != b'\n' {}
        Ok(String::from_utf8_lossy(&self.b[start..self.pos - 1]).into_owned())
    }

    /// Runs one pickle to its STOP and returns the value.
    fn pickle(&mut self) -> Result<V> {
        let mut stack: Vec<V> = Vec::new();
        let mut memo: HashMap<u32, V> = HashMap::new();
        let pop = |stack: &mut Vec<V>| stack.pop().ok_or_else(|| bad("the pickle pops an empty stack".into()));
        let pop_mark = |stack: &mut Vec<V>| -> Result<Vec<V>> {
            let at = stack
                .iter()
                .rposition(|v| matches!(v, V::Mark))
                .ok_or_else(|| bad("the pickle has no MARK to pop to".into()))?;
            let items = stack.split_off(at + 1);
            stack.pop();
            Ok(items)
        };
        loop {
            let op = self.u8()?;
            match op {
                0x80 => {
                    self.u8()?; // PROTO n
                }
                b'.' => return pop(&mut stack), // STOP
                b'(' => stack.push(V::Mark),
                b')' => stack.push(V::Tuple(vec![])),
                b']' => stack.push(V::List(vec![])),
                b'}' => stack.push(V::Dict(vec![])),
                b'N' => stack.push(V::None),
                0x88 => stack.push(V::Bool),
                0x89 => stack.push(V::Bool),
                b'K' => {
                    let v = self.u8()?;
                    stack.push(V::Int(v as i64))
                }
                b'M' => {
                    let v = self.u16()?;
                    stack.push(V::Int(v as i64))
                }
                b'J' => {
                    let v = self.u32()? as i32;
                    stack.push(V::Int(v as i64))
                }
                0x8a => {
                    // LONG1: n bytes, little-endian two's complement
                    let n = self.u8()? as usize;
                    let s = self.take(n)?;
                    if n > 8 {
                        stack.push(V::Long(s.to_vec()));
                        continue;
                    }
                    let mut v: i64 = 0;
                    for (i, &byte) in s.iter().enumerate() {
                        v |= (byte as i64) << (8 * i);
                    }
                    if n > 0 && n < 8 && s[n - 1] & 0x80 != 0 {
                        v -= 1i64 << (8 * n);
                    }
                    stack.push(V::Int(v))
                }
                b'X' => {
                    let n = self.u32()? as usize;
                    let s = self.take(n)?;
                    stack.push(V::Str(String::from_utf8_lossy(s).into_owned()))
                }
                b'c' => {
                    let module = self.line()?;
                    let name = self.line()?;
                    stack.push(V::Global(module, name))
                }
                b'q' => {
                    let k = self.u8()? as u32;
                    memo.insert(k, stack.last().cloned().ok_or_else(|| bad("BINPUT on an empty stack".into()))?);
                }
                b'r' => {
                    let k = self.u32()?;
                    memo.insert(k, stack.last().cloned().ok_or_else(|| bad("LONG_BINPUT on an empty stack".into()))?);
                }
                b'h' => {
                    let k = self.u8()? as u32;
                    stack.push(
                        memo.get(&k).cloned().ok_or_else(|| bad(format!("memo {k} is read before it is written")))?,
                    )
                }
                b'j' => {
                    let k = self.u32()?;
                    stack.push(
                        memo.get(&k).cloned().ok_or_else(|| bad(format!("memo {k} is read before it is written")))?,
                    )
                }
                b't' => {
                    let items = pop_mark(&mut stack)?;
                    stack.push(V::Tuple(items))
                }
                0x85 => {
                    let a = pop(&mut stack)?;
                    stack.push(V::Tuple(vec![a]))
                }
                0x86 => {
                    let b = pop(&mut stack)?;
                    let a = pop(&mut stack)?;
                    stack.push(V::Tuple(vec![a, b]))
                }
                0x87 => {
                    let c = pop(&mut stack)?;
                    let b = pop(&mut stack)?;
                    let a = pop(&mut stack)?;
                    stack.push(V::Tuple(vec![a, b, c]))
                }
                b'e' => {
                    let items = pop_mark(&mut stack)?;
                    match stack.last_mut() {
                        Some(V::List(l)) => l.extend(items),
                        _ => return Err(bad("APPENDS to something that is not a list".into())),
                    }
                }
                b'a' => {
                    let item = pop(&mut stack)?;
                    match stack.last_mut() {
                        Some(V::List(l)) => l.push(item),
                        _ => return Err(bad("APPEND to something that is not a list".into())),
                    }
                }
                b's' => {
                    let v = pop(&mut stack)?;
                    let k = pop(&mut stack)?;
                    match stack.last_mut() {
                        Some(V::Dict(d)) => d.push((k, v)),
                        _ => return Err(bad("SETITEM on something that is not a dict".into())),
                    }
                }
                b'u' => {
                    let items = pop_mark(&mut stack)?;
                    let Some(V::Dict(d)) = stack.last_mut() else {
                        return Err(bad("SETITEMS on something that is not a dict".into()));
                    };
                    let mut it = items.into_iter();
                    while let (Some(k), Some(v)) = (it.next(), it.next()) {
                        d.push((k, v));
                    }
                }
                b'Q' => {
                    // BINPERSID: ("storage", type, key, location, size)
                    let id = pop(&mut stack)?;
                    let V::Tuple(t) = id else { return Err(bad("a persistent id that is not a tuple".into())) };
                    match (t.first(), t.get(1), t.get(2)) {
                        (Some(V::Str(s)), Some(V::Global(_, kind)), Some(V::Str(key))) if s == "storage" => {
                            stack.push(V::Storage { kind: kind.clone(), key: key.clone() })
                        }
                        _ => return Err(bad("a persistent id other than a storage".into())),
                    }
                }
                b'R' => {
                    let args = pop(&mut stack)?;
                    let f = pop(&mut stack)?;
                    stack.push(reduce(f, args)?)
                }
                b'b' => {
                    // BUILD: set state; an OrderedDict's state (metadata) is dropped.
                    pop(&mut stack)?;
                }
                other => {
                    return Err(bad(format!(
                        "pickle opcode 0x{other:02x} at byte {} is not one a state dict uses",
                        self.pos - 1
                    )))
                }
            }
        }
    }
}

fn ints(v: &V) -> Result<Vec<usize>> {
    match v {
        V::Tuple(items) => items
            .iter()
            .map(|i| {
                if let V::Int(n) = i {
                    usize::try_from(*n).map_err(|_| bad(format!("negative size {n}")))
                } else {
                    Err(bad("a size that is not an integer".into()))
                }
            })
            .collect(),
        _ => Err(bad("a size that is not a tuple".into())),
    }
}

fn reduce(f: V, args: V) -> Result<V> {
    let V::Global(module, name) = &f else { return Err(bad("REDUCE of something that is not a global".into())) };
    let V::Tuple(a) = args else { return Err(bad("REDUCE arguments that are not a tuple".into())) };
    match (module.as_str(), name.as_str()) {
        ("collections", "OrderedDict") => Ok(V::Dict(vec![])),
        ("torch._utils", "_rebuild_tensor_v2") | ("torch._utils", "_rebuild_tensor") => {
            let (Some(V::Storage { kind, key }), Some(V::Int(offset)), Some(size), Some(stride)) =
                (a.first(), a.get(1), a.get(2), a.get(3))
            else {
                return Err(bad("a tensor rebuilt from arguments other than (storage, offset, size, stride)".into()));
            };
            Ok(V::Tensor {
                kind: kind.clone(),
                key: key.clone(),
                offset: *offset as usize,
                size: ints(size)?,
                stride: ints(stride)?,
            })
        }
        _ => Err(bad(format!("the pickle calls {module}.{name}, which a state dict does not need"))),
    }
}

/// Reads a legacy PyTorch checkpoint holding a state dict (an OrderedDict of tensors).
pub fn read_state_dict(bytes: &[u8]) -> Result<StateDict> {
    let mut r = Reader { b: bytes, pos: 0 };
    // The magic number 0x1950a86a20f9469cfc6c, little-endian.
    const MAGIC: [u8; 10] = [0x6c, 0xfc, 0x9c, 0x46, 0xf9, 0x20, 0x6a, 0xa8, 0x50, 0x19];
    match r.pickle() {
        Ok(V::Long(b)) if b == MAGIC => {}
        _ => return Err(bad("it does not start with PyTorch's magic number (a zip-format checkpoint? load it in PyTorch and save with _use_new_zipfile_serialization=False)".into())),
    }
    r.pickle()?; // protocol version
    r.pickle()?; // system info
    let V::Dict(entries) = r.pickle()? else {
        return Err(bad("the object is not a state dict (an OrderedDict of tensors)".into()));
    };
    let V::List(keys) = r.pickle()? else { return Err(bad("the storage key list is missing".into())) };
    // Storages follow in the order of the key list.
    let mut storages: HashMap<String, (String, Vec<f32>)> = HashMap::new();
    let kinds: HashMap<String, String> = entries
        .iter()
        .filter_map(|(_, v)| if let V::Tensor { kind, key, .. } = v { Some((key.clone(), kind.clone())) } else { None })
        .collect();
    for k in &keys {
        let V::Str(key) = k else { return Err(bad("a storage key that is not a string".into())) };
        let count = u64::from_le_bytes(r.take(8)?.try_into().expect("8 bytes")) as usize;
        let kind = kinds.get(key).cloned().unwrap_or_else(|| "FloatStorage".into());
        let (size, convert): (usize, fn(&[u8]) -> f32) = match kind.as_str() {
            "FloatStorage" => (4, |c| f32::from_le_bytes([c[0], c[1], c[2], c[3]])),
            "LongStorage" => (8, |c| i64::from_le_bytes(c.try_into().expect("8 bytes")) as f32),
            "IntStorage" => (4, |c| i32::from_le_bytes([c[0], c[1], c[2], c[3]]) as f32),
            "DoubleStorage" => (8, |c| f64::from_le_bytes(c.try_into().expect("8 bytes")) as f32),
            other => return Err(bad(format!("storage {key} is a {other}, which ConvPlay does not read"))),
        };
        let data =
            r.take(count.checked_mul(size).ok_or_else(|| bad(format!("storage {key} claims {count} elements")))?)?;
        storages.insert(key.clone(), (kind, data.chunks_exact(size).map(convert).collect()));
    }
    let mut tensors = Vec::with_capacity(entries.len());
    for (name, v) in entries {
        let V::Str(name) = name else { return Err(bad("a state-dict key that is not a string".into())) };
        let V::Tensor { key, offset, size, stride, .. } = v else { return Err(bad(format!("{name} is not a tensor"))) };
        let (kind, data) =
            storages.get(&key).ok_or_else(|| bad(format!("{name}: its storage {key} is not in the file")))?;
        let count: usize = size.iter().product();
        // Gather by strides (state dicts are contiguous, but views are allowed).
        let mut values = Vec::with_capacity(count);
        let mut index = vec![0usize; size.len()];
        for _ in 0..count {
            let at = offset + index.iter().zip(&stride).map(|(i, s)| i * s).sum::<usize>();
            values.push(*data.get(at).ok_or_else(|| bad(format!("{name} reaches past the end of its storage")))?);
            for d in (0..size.len()).rev() {
                index[d] += 1;
                if index[d] < size[d] {
                    break;
                }
                index[d] = 0;
            }
        }
        tensors.push((name, TorchTensor { shape: size, values, storage_type: kind.clone() }));
    }
    Ok(StateDict { tensors })
}
