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

/// An object of the pickle. Containers hold the ids of their items in the [`Heap`], so the
/// memo, the stack and every container share objects the way Python's unpickler does: a memo
/// get copies an id, never a value, and nothing here walks a nesting recursively.
#[derive(Debug)]
enum V {
    None,
    Bool,
    Int(i64),
    /// An integer too long for i64 (PyTorch's magic number), as little-endian bytes.
    Long(Vec<u8>),
    Str(String),
    Tuple(Vec<Id>),
    List(Vec<Id>),
    Dict(Vec<(Id, Id)>),
    Global(String, String),
    /// A persistent id: ("storage", storage type, key, location, size).
    Storage {
        kind: String,
        key: String,
    },
    /// `_rebuild_tensor_v2(storage, offset, size, stride, …)`, boxed to keep every object small.
    Tensor(Box<Rebuild>),
}

#[derive(Debug)]
struct Rebuild {
    kind: String,
    key: String,
    offset: u64,
    size: Vec<u64>,
    stride: Vec<u64>,
}

/// An object's index in its pickle's [`Heap`].
type Id = usize;

/// How deep containers may nest. A state dict nests four levels (dict, tensor call, its
/// argument tuple, the size tuple); nothing here recurses, but a deeper file is not a state
/// dict, and saying so beats carrying it on.
pub const MAX_DEPTH: u32 = 100;

/// Every object one pickle makes, in the order it made them, each with its nesting depth
/// (1 for a scalar; a container is one more than its deepest item so far).
struct Heap {
    objects: Vec<(V, u32)>,
}

impl Heap {
    fn get(&self, id: Id) -> &V {
        &self.objects[id].0
    }
    fn depth(&self, id: Id) -> u32 {
        self.objects[id].1
    }
    /// Adds an object (a tuple or list one deeper than its deepest item), refusing it past [`MAX_DEPTH`].
    fn add(&mut self, v: V) -> Result<Id> {
        let items: &[Id] = match &v {
            V::Tuple(items) | V::List(items) => items,
            _ => &[],
        };
        let depth = 1 + items.iter().map(|&i| self.depth(i)).max().unwrap_or(0);
        too_deep(depth)?;
        self.objects.push((v, depth));
        Ok(self.objects.len() - 1)
    }
    /// Records that the container `id` now also holds `item`.
    fn deepen(&mut self, id: Id, item: Id) -> Result<()> {
        let depth = self.depth(id).max(1 + self.depth(item));
        too_deep(depth)?;
        self.objects[id].1 = depth;
        Ok(())
    }
}

fn too_deep(depth: u32) -> Result<()> {
    if depth > MAX_DEPTH {
        return Err(bad(format!(
            "its objects nest more than {MAX_DEPTH} levels deep (a state dict nests 4), so it is damaged or not a state dict"
        )));
    }
    Ok(())
}

/// A stack slot: a MARK or an object.
#[derive(Clone, Copy)]
enum Item {
    Mark,
    Obj(Id),
}

fn bad(what: String) -> Error {
    Error::Data(format!("not a readable PyTorch checkpoint: {what}"))
}

struct Reader<'a> {
    b: &'a [u8],
    pos: usize,
}

/// The first 8 bytes of `c` (callers pass exactly 8; a shorter slice is zero-filled, never a panic).
fn bytes8(c: &[u8]) -> [u8; 8] {
    let mut a = [0u8; 8];
    for (d, s) in a.iter_mut().zip(c) {
        *d = *s;
    }
    a
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

    /// Runs one pickle to its STOP and returns its objects and the value's id. Every opcode
    /// adds at most one object, so the heap grows with the file, never faster.
    fn pickle(&mut self) -> Result<(Heap, Id)> {
        let mut heap = Heap { objects: Vec::new() };
        let mut stack: Vec<Item> = Vec::new();
        let mut memo: HashMap<u32, Id> = HashMap::new();
        let pop = |stack: &mut Vec<Item>| match stack.pop() {
            Some(Item::Obj(id)) => Ok(id),
            Some(Item::Mark) => Err(bad("the pickle pops a MARK as an object".into())),
            None => Err(bad("the pickle pops an empty stack".into())),
        };
        let top = |stack: &Vec<Item>, op: &str| match stack.last() {
            Some(Item::Obj(id)) => Ok(*id),
            _ => Err(bad(format!("{op} without an object on the stack"))),
        };
        let pop_mark = |stack: &mut Vec<Item>| -> Result<Vec<Id>> {
            let at = stack
                .iter()
                .rposition(|v| matches!(v, Item::Mark))
                .ok_or_else(|| bad("the pickle has no MARK to pop to".into()))?;
            let items = stack.split_off(at + 1);
            stack.pop();
            // Above the last MARK there are only objects.
            Ok(items.into_iter().filter_map(|i| if let Item::Obj(id) = i { Some(id) } else { None }).collect())
        };
        loop {
            let op = self.u8()?;
            let new = match op {
                0x80 => {
                    self.u8()?; // PROTO n
                    continue;
                }
                b'.' => {
                    let id = pop(&mut stack)?;
                    return Ok((heap, id)); // STOP
                }
                b'(' => {
                    stack.push(Item::Mark);
                    continue;
                }
                b')' => V::Tuple(vec![]),
                b']' => V::List(vec![]),
                b'}' => V::Dict(vec![]),
                b'N' => V::None,
                0x88 | 0x89 => V::Bool,
                b'K' => V::Int(self.u8()? as i64),
                b'M' => V::Int(self.u16()? as i64),
                b'J' => V::Int(self.u32()? as i32 as i64),
                0x8a => {
                    // LONG1: n bytes, little-endian two's complement
                    let n = self.u8()? as usize;
                    let s = self.take(n)?;
                    if n > 8 {
                        V::Long(s.to_vec())
                    } else {
                        let mut v: i64 = 0;
                        for (i, &byte) in s.iter().enumerate() {
                            v |= (byte as i64) << (8 * i);
                        }
                        if n > 0 && n < 8 && s[n - 1] & 0x80 != 0 {
                            v -= 1i64 << (8 * n);
                        }
                        V::Int(v)
                    }
                }
                b'X' => {
                    let n = self.u32()? as usize;
                    let s = self.take(n)?;
                    V::Str(String::from_utf8_lossy(s).into_owned())
                }
                b'c' => {
                    let module = self.line()?;
                    let name = self.line()?;
                    V::Global(module, name)
                }
                b'q' | b'r' => {
                    let k = if op == b'q' { self.u8()? as u32 } else { self.u32()? };
                    memo.insert(k, top(&stack, "BINPUT")?);
                    continue;
                }
                b'h' | b'j' => {
                    let k = if op == b'h' { self.u8()? as u32 } else { self.u32()? };
                    let id = *memo.get(&k).ok_or_else(|| bad(format!("memo {k} is read before it is written")))?;
                    stack.push(Item::Obj(id));
                    continue;
                }
                b't' => V::Tuple(pop_mark(&mut stack)?),
                0x85 => V::Tuple(vec![pop(&mut stack)?]),
                0x86 => {
                    let b = pop(&mut stack)?;
                    let a = pop(&mut stack)?;
                    V::Tuple(vec![a, b])
                }
                0x87 => {
                    let c = pop(&mut stack)?;
                    let b = pop(&mut stack)?;
                    let a = pop(&mut stack)?;
                    V::Tuple(vec![a, b, c])
                }
                b'e' | b'a' => {
                    let items = if op == b'e' { pop_mark(&mut stack)? } else { vec![pop(&mut stack)?] };
                    let list = top(&stack, "APPEND")?;
                    for &item in &items {
                        heap.deepen(list, item)?;
                    }
                    match &mut heap.objects[list].0 {
                        V::List(l) => l.extend(items),
                        _ => return Err(bad("APPEND to something that is not a list".into())),
                    }
                    continue;
                }
                b's' | b'u' => {
                    let items = if op == b'u' {
                        pop_mark(&mut stack)?
                    } else {
                        let v = pop(&mut stack)?;
                        vec![pop(&mut stack)?, v]
                    };
                    let dict = top(&stack, "SETITEM")?;
                    for &item in &items {
                        heap.deepen(dict, item)?;
                    }
                    let V::Dict(d) = &mut heap.objects[dict].0 else {
                        return Err(bad("SETITEM on something that is not a dict".into()));
                    };
                    d.extend(items.chunks_exact(2).map(|kv| (kv[0], kv[1])));
                    continue;
                }
                b'Q' => {
                    // BINPERSID: ("storage", type, key, location, size)
                    let id = pop(&mut stack)?;
                    let V::Tuple(t) = heap.get(id) else {
                        return Err(bad("a persistent id that is not a tuple".into()));
                    };
                    match (
                        t.first().map(|&i| heap.get(i)),
                        t.get(1).map(|&i| heap.get(i)),
                        t.get(2).map(|&i| heap.get(i)),
                    ) {
                        (Some(V::Str(s)), Some(V::Global(_, kind)), Some(V::Str(key))) if s == "storage" => {
                            V::Storage { kind: kind.clone(), key: key.clone() }
                        }
                        _ => return Err(bad("a persistent id other than a storage".into())),
                    }
                }
                b'R' => {
                    let args = pop(&mut stack)?;
                    let f = pop(&mut stack)?;
                    reduce(&heap, f, args)?
                }
                b'b' => {
                    // BUILD: set state; an OrderedDict's state (metadata) is dropped.
                    pop(&mut stack)?;
                    continue;
                }
                other => {
                    return Err(bad(format!(
                        "pickle opcode 0x{other:02x} at byte {} is not one a state dict uses",
                        self.pos - 1
                    )))
                }
            };
            let id = heap.add(new)?;
            stack.push(Item::Obj(id));
        }
    }
}

fn ints(heap: &Heap, v: Id, what: &str) -> Result<Vec<u64>> {
    let V::Tuple(items) = heap.get(v) else { return Err(bad(format!("a tensor {what} that is not a tuple"))) };
    items
        .iter()
        .map(|&i| match heap.get(i) {
            V::Int(n) => u64::try_from(*n).map_err(|_| bad(format!("a negative tensor {what} {n}"))),
            _ => Err(bad(format!("a tensor {what} that is not an integer"))),
        })
        .collect()
}

fn reduce(heap: &Heap, f: Id, args: Id) -> Result<V> {
    let V::Global(module, name) = heap.get(f) else {
        return Err(bad("REDUCE of something that is not a global".into()));
    };
    let V::Tuple(a) = heap.get(args) else { return Err(bad("REDUCE arguments that are not a tuple".into())) };
    match (module.as_str(), name.as_str()) {
        ("collections", "OrderedDict") => Ok(V::Dict(vec![])),
        ("torch._utils", "_rebuild_tensor_v2") | ("torch._utils", "_rebuild_tensor") => {
            let arg = |i: usize| a.get(i).map(|&id| heap.get(id));
            let (Some(V::Storage { kind, key }), Some(V::Int(offset)), Some(_), Some(_)) =
                (arg(0), arg(1), arg(2), arg(3))
            else {
                return Err(bad("a tensor rebuilt from arguments other than (storage, offset, size, stride)".into()));
            };
            Ok(V::Tensor(Box::new(Rebuild {
                kind: kind.clone(),
                key: key.clone(),
                offset: u64::try_from(*offset).map_err(|_| bad(format!("a negative storage offset {offset}")))?,
                size: ints(heap, a[2], "size")?,
                stride: ints(heap, a[3], "stride")?,
            })))
        }
        _ => Err(bad(format!("the pickle calls {module}.{name}, which a state dict does not need"))),
    }
}

/// Reads a legacy PyTorch checkpoint holding a state dict (an OrderedDict of tensors).
///
/// Every size the file claims is checked, in u64, against the bytes actually in it before
/// anything is allocated: a storage must be in the file; a tensor may hold no more values than
/// its storage and must stay inside it; and all tensors together hold at most one value per
/// byte of storage (shared storages are allowed, repeating one without end is not). So the
/// memory this takes is a small multiple of the file's size, and so is the time.
pub fn read_state_dict(bytes: &[u8]) -> Result<StateDict> {
    let mut r = Reader { b: bytes, pos: 0 };
    // The magic number 0x1950a86a20f9469cfc6c, little-endian.
    const MAGIC: [u8; 10] = [0x6c, 0xfc, 0x9c, 0x46, 0xf9, 0x20, 0x6a, 0xa8, 0x50, 0x19];
    match r.pickle() {
        Ok((heap, id)) if matches!(heap.get(id), V::Long(b) if *b == MAGIC) => {}
        _ => return Err(bad("it does not start with PyTorch's magic number (a zip-format checkpoint? load it in PyTorch and save with _use_new_zipfile_serialization=False)".into())),
    }
    r.pickle()?; // protocol version
    r.pickle()?; // system info
    let (heap, object) = r.pickle()?;
    let V::Dict(entries) = heap.get(object) else {
        return Err(bad("the object is not a state dict (an OrderedDict of tensors)".into()));
    };
    let (key_heap, key_list) = r.pickle()?;
    let V::List(keys) = key_heap.get(key_list) else { return Err(bad("the storage key list is missing".into())) };
    // Storages follow in the order of the key list.
    let mut storages: HashMap<&str, (String, Vec<f32>)> = HashMap::new();
    let kinds: HashMap<&str, &str> = entries
        .iter()
        .filter_map(|&(_, v)| match heap.get(v) {
            V::Tensor(t) => Some((t.key.as_str(), t.kind.as_str())),
            _ => None,
        })
        .collect();
    // Bytes of storage data in the file: the bound on the values all tensors may hold.
    let mut storage_bytes: u64 = 0;
    for &k in keys {
        let V::Str(key) = key_heap.get(k) else { return Err(bad("a storage key that is not a string".into())) };
        let count = u64::from_le_bytes(bytes8(r.take(8)?));
        let kind = kinds.get(key.as_str()).copied().unwrap_or("FloatStorage");
        let (size, convert): (usize, fn(&[u8]) -> f32) = match kind {
            "FloatStorage" => (4, |c| f32::from_le_bytes([c[0], c[1], c[2], c[3]])),
            "LongStorage" => (8, |c| i64::from_le_bytes(bytes8(c)) as f32),
            "IntStorage" => (4, |c| i32::from_le_bytes([c[0], c[1], c[2], c[3]]) as f32),
            "DoubleStorage" => (8, |c| f64::from_le_bytes(bytes8(c)) as f32),
            other => return Err(bad(format!("storage {key} is a {other}, which ConvPlay does not read"))),
        };
        let left = (bytes.len() - r.pos) as u64;
        let claimed = count.checked_mul(size as u64).filter(|&n| n <= left).ok_or_else(|| {
            bad(format!(
                "storage {key} claims {count} values of {size} bytes, but only {left} bytes are left in the file"
            ))
        })?;
        let data = r.take(claimed as usize)?;
        storage_bytes += claimed;
        storages.insert(key.as_str(), (kind.to_string(), data.chunks_exact(size).map(convert).collect()));
    }
    let mut tensors = Vec::with_capacity(entries.len());
    let mut total: u64 = 0;
    for &(name, v) in entries {
        let V::Str(name) = heap.get(name) else { return Err(bad("a state-dict key that is not a string".into())) };
        let V::Tensor(t) = heap.get(v) else {
            return Err(bad(format!("{name} is not a tensor")));
        };
        let Rebuild { key, offset, size, stride, .. } = &**t;
        let (kind, data) =
            storages.get(key.as_str()).ok_or_else(|| bad(format!("{name}: its storage {key} is not in the file")))?;
        let values = gather(name, key, data, *offset, size, stride)?;
        total += values.len() as u64;
        if total > storage_bytes {
            return Err(bad(format!(
                "the tensors up to {name} hold {total} values in all, more than the file's {storage_bytes} bytes of storage can hold (many tensors share one storage; save a .clone() of each tensor)"
            )));
        }
        // Each dimension is at most the count (or the count is 0), which fits in usize, but an
        // empty tensor may claim any size: refuse what this engine cannot hold as a shape.
        let shape =
            size.iter().map(|&n| usize::try_from(n)).collect::<std::result::Result<Vec<usize>, _>>().map_err(|_| {
                bad(format!("{name}'s size {size:?} has a dimension larger than this engine can address"))
            })?;
        tensors.push((name.clone(), TorchTensor { shape, values, storage_type: kind.clone() }));
    }
    Ok(StateDict { tensors })
}

/// A tensor's values, gathered from its storage by offset and strides (state dicts are
/// contiguous, but views are allowed), once its claims are checked against the storage.
fn gather(name: &str, key: &str, data: &[f32], offset: u64, size: &[u64], stride: &[u64]) -> Result<Vec<f32>> {
    if size.len() != stride.len() {
        return Err(bad(format!("{name} has {} sizes but {} strides", size.len(), stride.len())));
    }
    let held = data.len() as u64;
    let count =
        size.iter().try_fold(1u64, |n, &d| n.checked_mul(d)).filter(|&n| usize::try_from(n).is_ok()).ok_or_else(
            || bad(format!("{name}'s size {size:?} multiplies to more values than this engine can address")),
        )?;
    if count > held {
        return Err(bad(format!("{name} claims {count} values (size {size:?}) but its storage {key} holds {held}")));
    }
    if count == 0 {
        return Ok(vec![]);
    }
    // The last position it reads, offset + Σ (size − 1) × stride, must be inside the storage.
    size
        .iter()
        .zip(stride)
        .try_fold(offset, |at, (&n, &s)| (n - 1).checked_mul(s).and_then(|x| at.checked_add(x)))
        .filter(|&at| at < held)
        .ok_or_else(|| {
            bad(format!(
                "{name} (offset {offset}, size {size:?}, stride {stride:?}) reaches past the end of its storage {key} of {held} values"
            ))
        })?;
    // Dimensions of size 1 move nothing; without them the odometer below carries in
    // amortised constant time per value.
    let dims: Vec<(u64, u64)> = size.iter().zip(stride).filter(|(&n, _)| n != 1).map(|(&n, &s)| (n, s)).collect();
    let mut values = Vec::with_capacity(count as usize);
    let mut index = vec![0u64; dims.len()];
    let mut at = offset;
    for _ in 0..count {
        // at ≤ last < held, checked above; `get` keeps that a checked fact.
        values.push(*data.get(at as usize).ok_or_else(|| bad(format!("{name} reaches past its storage")))?);
        for d in (0..dims.len()).rev() {
            let (n, s) = dims[d];
            index[d] += 1;
            if index[d] < n {
                at += s;
                break;
            }
            at -= (n - 1) * s;
            index[d] = 0;
        }
    }
    Ok(values)
}
