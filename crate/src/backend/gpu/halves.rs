//! f16 activations: the WGSL of a kernel for buffers that hold f16 instead of f32.
//!
//! With `shader-f16`, a model may keep its activations (the input batch and every layer's
//! output) as f16 while all arithmetic stays f32, halving what the summary calls
//! "activations". No kernel is written twice for it: a dispatch binds some f16 buffers, the
//! bindings they sit at form a mask, and the module for that (file, mask) is this file's
//! rewrite of the f32 source. Each storage array bound at a masked binding is declared with
//! f16 elements; each read of it is converted to f32 where it is read (`f32(x[i])`) and
//! each write converted back where it is written (`x[i] = f16(v);`). The kernels only index
//! their storage arrays (no pointers to them, no compound assignments, no `arrayLength`), so
//! that is the whole rewrite; what it cannot rewrite it says, and a module that does not
//! compile shows in the tests, which compile every module with every f32 array halved.

/// The storage arrays of f32 (or vec4<f32>) declared in `source` at `@binding(b)` for every
/// bit b of `mask`, by name.
pub fn halved_names(source: &str, mask: u32) -> Vec<(String, bool)> {
    let mut names = Vec::new();
    for line in source.lines() {
        let line = line.trim();
        let Some(rest) = line.strip_prefix("@group(0) @binding(") else { continue };
        let Some((num, decl)) = rest.split_once(')') else { continue };
        let Ok(b) = num.parse::<u32>() else { continue };
        if b >= 32 || mask & (1 << b) == 0 || !decl.contains("var<storage") {
            continue;
        }
        let Some((_, name_ty)) = decl.split_once('>') else { continue };
        let Some((name, ty)) = name_ty.split_once(':') else { continue };
        let ty = ty.trim().trim_end_matches(';').trim();
        let vec4 = match ty {
            "array<f32>" => false,
            "array<vec4<f32>>" => true,
            _ => continue,
        };
        names.push((name.trim().to_string(), vec4));
    }
    names
}

/// `source` with the f32 storage arrays at the bindings of `mask` holding f16: `enable f16;`
/// first, their declarations' element type f16, reads widened to f32 and writes narrowed.
/// Err names what could not be rewritten (a compound assignment, an index left open); any use
/// other than indexing is left as written and fails to compile, which the tests would show.
pub fn halve(source: &str, mask: u32) -> Result<String, String> {
    let names = halved_names(source, mask);
    let mut text = String::with_capacity(source.len() + 64);
    text.push_str("enable f16;\n");
    for line in source.lines() {
        let mut line = line.to_string();
        for (name, _) in &names {
            if line.trim_start().starts_with("@group(0) @binding(") && line.contains(&format!("> {name}: array<")) {
                line = line.replace("array<vec4<f32>>", "array<vec4<f16>>").replace("array<f32>", "array<f16>");
            }
        }
        text.push_str(&line);
        text.push('\n');
    }
    if names.is_empty() {
        return Ok(text);
    }
    let (body, _) = rewrite(text.as_bytes(), &names, 0, None)?;
    String::from_utf8(body).map_err(|e| format!("the rewritten text is not UTF-8: {e}"))
}

fn ident_char(c: u8) -> bool {
    c.is_ascii_alphanumeric() || c == b'_'
}

/// The halved array named at `s[i..]`, if one is: a whole identifier followed by `[`.
fn array_at<'n>(s: &[u8], i: usize, names: &'n [(String, bool)]) -> Option<&'n (String, bool)> {
    if i > 0 && (ident_char(s[i - 1]) || s[i - 1] == b'.') {
        return None;
    }
    names.iter().find(|(n, _)| {
        let end = i + n.len();
        s[i..].starts_with(n.as_bytes())
            && (end == s.len() || !ident_char(s[end]))
            && s[end..].iter().find(|c| !c.is_ascii_whitespace()) == Some(&b'[')
    })
}

/// Rewrites `text` from `start` until `stop` (a byte at bracket depth 0: `]` of an index, `;`
/// of a statement) or the end; returns the text and where it stopped (just past `stop`).
fn rewrite(s: &[u8], names: &[(String, bool)], start: usize, stop: Option<u8>) -> Result<(Vec<u8>, usize), String> {
    let mut out = Vec::new();
    let mut i = start;
    let mut depth = 0i32;
    let mut comment = false;
    while i < s.len() {
        let c = s[i];
        if comment {
            if c == b'\n' {
                comment = false;
            }
            out.push(c);
            i += 1;
            continue;
        }
        if c == b'/' && s.get(i + 1) == Some(&b'/') {
            comment = true;
            out.push(b'/');
            i += 1;
            continue;
        }
        if depth == 0 && Some(c) == stop {
            return Ok((out, i + 1));
        }
        match c {
            b'(' | b'[' => depth += 1,
            b')' | b']' => depth -= 1,
            _ => {}
        }
        if let Some((name, vec4)) = array_at(s, i, names) {
            let open = i + name.len() + s[i + name.len()..].iter().position(|&c| c == b'[').unwrap_or(0);
            let (index, after) = rewrite(s, names, open + 1, Some(b']'))?;
            let access = format!("{name}[{}]", String::from_utf8_lossy(&index));
            let next = s[after..].iter().position(|c| !c.is_ascii_whitespace()).map(|p| after + p);
            let (wide, narrow) = if *vec4 { ("vec4<f32>", "vec4<f16>") } else { ("f32", "f16") };
            match next.map(|p| (s[p], s.get(p + 1).copied())) {
                Some((b'=', Some(b'='))) | Some((b'!', _)) | None => {
                    out.extend_from_slice(format!("{wide}({access})").as_bytes());
                    i = after;
                }
                Some((b'=', _)) => {
                    let p = next.unwrap_or(after);
                    let (value, end) = rewrite(s, names, p + 1, Some(b';'))?;
                    let value = String::from_utf8_lossy(&value);
                    out.extend_from_slice(format!("{access} = {narrow}({});", value.trim()).as_bytes());
                    i = end;
                }
                Some((op @ (b'+' | b'-' | b'*' | b'/' | b'%' | b'&' | b'|' | b'^'), Some(b'='))) => {
                    return Err(format!(
                        "`{access} {}=` updates an f16 array in place; write it as `{name}[…] = …`",
                        op as char
                    ));
                }
                _ => {
                    out.extend_from_slice(format!("{wide}({access})").as_bytes());
                    i = after;
                }
            }
            continue;
        }
        out.push(c);
        i += 1;
    }
    match stop {
        None => Ok((out, i)),
        Some(c) => Err(format!("no `{}` closes the text from byte {start}", c as char)),
    }
}

/// Bytes of `len` f16 values in a buffer: 2 each, rounded up to a multiple of 4 (WebGPU's
/// storage bindings and copies come in whole words).
pub fn half_bytes(len: usize) -> u64 {
    (2 * len as u64).div_ceil(4) * 4
}

/// f32 values as the bytes of f16s (round to nearest even), padded to whole words.
pub fn to_half_bytes(data: &[f32]) -> Vec<u8> {
    let mut bytes: Vec<u8> = data.iter().flat_map(|v| half::f16::from_f32(*v).to_le_bytes()).collect();
    bytes.resize(half_bytes(data.len()) as usize, 0);
    bytes
}

/// The first `len` f16s of `bytes`, as f32.
pub fn from_half_bytes(bytes: &[u8], len: usize) -> Vec<f32> {
    bytes.chunks_exact(2).take(len).map(|b| half::f16::from_le_bytes([b[0], b[1]]).to_f32()).collect()
}
