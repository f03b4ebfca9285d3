//! Each kernel family's uniform parameters are declared twice: a `#[repr(C)]` struct in
//! crate/src/backend/gpu/params.rs, which the backend writes, and a WGSL struct of the same
//! name in shaders/<file>.wgsl, which the kernels read. These tests parse every shader with
//! naga (wgpu's own WGSL front end) and hold the two to the same field names, types, byte
//! offsets and size, and check that the struct is what the shader binds at
//! @group(0) @binding(0). They also keep the cross-references true: each shader's header
//! names its CPU twin in crate/src/backend/cpu/, whose header names the shader back.
//! No GPU is needed.

use convplay::backend::gpu::params::*;
use convplay::backend::gpu::pipelines::{shader_source, SHADERS};
use std::collections::BTreeSet;

/// One side's view of a params struct: fields (name, byte offset, scalar type) and size.
#[derive(Clone, Debug, PartialEq)]
struct Layout {
    fields: Vec<(String, usize, String)>,
    size: usize,
}

/// A params type as Rust lays it out (`offset_of!` and `size_of`, through `KernelParams`).
struct RustSide {
    file: &'static str,
    name: &'static str,
    layout: Layout,
}

fn rust<P: KernelParams>() -> RustSide {
    RustSide {
        file: P::FILE,
        name: P::WGSL_STRUCT,
        layout: Layout {
            fields: P::FIELDS.iter().map(|&(n, o, t)| (n.to_string(), o, t.to_string())).collect(),
            size: std::mem::size_of::<P>(),
        },
    }
}

fn all_params() -> Vec<RustSide> {
    vec![
        rust::<GemmParams>(),
        rust::<EltwiseParams>(),
        rust::<PoolParams>(),
        rust::<DepthwiseParams>(),
        rust::<BatchnormParams>(),
        rust::<LossParams>(),
        rust::<OptimParams>(),
        rust::<LrnParams>(),
        rust::<AugmentParams>(),
        rust::<UpsampleParams>(),
        rust::<SmokeParams>(),
        // The other GEMM modules end with the same gemm_common.wgsl as gemm's.
        RustSide { file: "gemm_reg", ..rust::<GemmParams>() },
        RustSide { file: "gemm_lane", ..rust::<GemmParams>() },
    ]
}

fn parse(file: &str, src: &str) -> Result<naga::Module, String> {
    naga::front::wgsl::parse_str(src).map_err(|e| format!("{file}.wgsl does not parse: {}", e.emit_to_string(src)))
}

fn scalar_name(module: &naga::Module, ty: naga::Handle<naga::Type>) -> String {
    match module.types[ty].inner {
        naga::TypeInner::Scalar(s) if s == naga::Scalar::U32 => "u32".into(),
        naga::TypeInner::Scalar(s) if s == naga::Scalar::I32 => "i32".into(),
        naga::TypeInner::Scalar(s) if s == naga::Scalar::F32 => "f32".into(),
        ref other => format!("{other:?}"),
    }
}

/// The WGSL struct `name` of a parsed module, as naga lays it out for the uniform space.
fn wgsl_layout(module: &naga::Module, name: &str) -> Option<Layout> {
    module.types.iter().find_map(|(_, ty)| match &ty.inner {
        naga::TypeInner::Struct { members, span } if ty.name.as_deref() == Some(name) => Some(Layout {
            fields: members
                .iter()
                .map(|m| (m.name.clone().unwrap_or_default(), m.offset as usize, scalar_name(module, m.ty)))
                .collect(),
            size: *span as usize,
        }),
        _ => None,
    })
}

/// The type name of the uniform bound at @group(0) @binding(0).
fn uniform_type(module: &naga::Module) -> Option<String> {
    module.global_variables.iter().find_map(|(_, g)| {
        let b = g.binding.as_ref()?;
        (g.space == naga::AddressSpace::Uniform && b.group == 0 && b.binding == 0)
            .then(|| module.types[g.ty].name.clone().unwrap_or_default())
    })
}

/// Ok when `src` declares and binds a struct laid out exactly like the Rust side.
fn compare(rust: &RustSide, src: &str) -> Result<(), String> {
    let (file, name) = (rust.file, rust.name);
    let module = parse(file, src)?;
    let wgsl = wgsl_layout(&module, name).ok_or(format!("{file}.wgsl declares no struct {name}"))?;
    for (i, (r, w)) in rust.layout.fields.iter().zip(&wgsl.fields).enumerate() {
        if r != w {
            return Err(format!("{name} field {i}: Rust has {r:?}, {file}.wgsl has {w:?} (name, offset, type)"));
        }
    }
    if rust.layout.fields.len() != wgsl.fields.len() {
        return Err(format!(
            "{name}: Rust has {} fields, {file}.wgsl has {}",
            rust.layout.fields.len(),
            wgsl.fields.len()
        ));
    }
    if rust.layout.size != wgsl.size {
        return Err(format!("{name}: Rust size {} bytes, {file}.wgsl size {}", rust.layout.size, wgsl.size));
    }
    match uniform_type(&module) {
        Some(t) if t == name => Ok(()),
        other => Err(format!("{file}.wgsl binds {other:?} at @group(0) @binding(0), not {name}")),
    }
}

#[test]
fn every_params_struct_matches_its_wgsl_struct() {
    let mut errors = Vec::new();
    for p in all_params() {
        let Some(src) = shader_source(p.file) else {
            errors.push(format!("{}: no shader named {:?} in SHADERS", p.name, p.file));
            continue;
        };
        if let Err(e) = compare(&p, src) {
            errors.push(e);
        }
        // Each dispatch gets one 256-byte slot of the uniform arena.
        assert!(p.layout.size <= 256, "{} is {} bytes, more than an arena slot", p.name, p.layout.size);
        assert!(!p.layout.fields.is_empty() && p.layout.fields[0].1 == 0, "{}: {:?}", p.name, p.layout.fields);
    }
    assert!(errors.is_empty(), "Rust and WGSL params disagree:\n{}", errors.join("\n"));
}

#[test]
fn every_shader_has_exactly_one_params_struct() {
    let files: Vec<&str> = all_params().iter().map(|p| p.file).collect();
    let unique: BTreeSet<&str> = files.iter().copied().collect();
    assert_eq!(unique.len(), files.len(), "two params structs name the same shader: {files:?}");
    assert_eq!(
        GemmParams::FILE,
        "gemm",
        "gemm_reg and gemm_lane share GemmParams (gemm_common.wgsl) with gemm, the name it goes by"
    );
    let shaders: BTreeSet<&str> = SHADERS.iter().map(|(n, _)| *n).collect();
    assert_eq!(unique, shaders);
}

/// The comparison itself must catch a field renamed, moved or retyped on either side.
#[test]
fn a_renamed_moved_or_retyped_field_is_caught() {
    let gemm = rust::<GemmParams>();
    let src = shader_source("gemm").unwrap();
    assert_eq!(compare(&gemm, src), Ok(()));

    // Renamed in the shader (the declaration and every use, so it still compiles).
    let renamed = src.replace("has_bias", "bias_flag");
    assert_ne!(renamed, src);
    let e = compare(&gemm, &renamed).unwrap_err();
    assert!(e.contains("has_bias") && e.contains("bias_flag"), "{e}");

    let swapped = src.replacen("mode: u32, m: u32,", "m: u32, mode: u32,", 1);
    assert_ne!(swapped, src);
    let e = compare(&gemm, &swapped).unwrap_err();
    assert!(e.contains("field 0"), "{e}");

    let bn = rust::<BatchnormParams>();
    let src = shader_source("batchnorm").unwrap();
    assert_eq!(compare(&bn, src), Ok(()));
    // A field left out of the shader's struct (its uses then fail to parse: also an error).
    let dropped = src.replacen(" momentum: f32,", "", 1);
    assert_ne!(dropped, src);
    assert!(compare(&bn, &dropped).is_err());

    // The struct still matches, but the shader binds a look-alike in its place.
    let unbound = src.replacen(
        "@group(0) @binding(0) var<uniform> p: BatchnormParams;",
        "struct Other { rows: u32, c: u32, eps: f32, momentum: f32 }\n@group(0) @binding(0) var<uniform> p: Other;",
        1,
    );
    assert_ne!(unbound, src);
    let e = compare(&bn, &unbound).unwrap_err();
    assert!(e.contains("binding(0)"), "{e}");

    // The Rust side: a field moved (two swapped) or renamed there.
    let mut moved = rust::<LrnParams>();
    moved.layout.fields.swap(4, 5);
    let e = compare(&moved, shader_source("lrn").unwrap()).unwrap_err();
    assert!(e.contains("field 4"), "{e}");
    let mut renamed = rust::<LrnParams>();
    renamed.layout.fields[2].0 = "radius".into();
    assert!(compare(&renamed, shader_source("lrn").unwrap()).unwrap_err().contains("radius"));
    let mut retyped = rust::<LrnParams>();
    retyped.layout.fields[2].2 = "f32".into();
    assert!(compare(&retyped, shader_source("lrn").unwrap()).unwrap_err().contains("field 2"));
}

#[test]
fn rust_offsets_follow_declaration_order() {
    // offset_of! fields of u32/f32 are packed 4 bytes apart; so FIELDS lists them in order.
    for p in all_params() {
        for (i, (name, offset, ty)) in p.layout.fields.iter().enumerate() {
            assert_eq!(*offset, 4 * i, "{}.{name}", p.name);
            assert!(ty == "u32" || ty == "f32", "{}.{name}: {ty}", p.name);
        }
        assert_eq!(p.layout.size, 4 * p.layout.fields.len(), "{}", p.name);
    }
}

/// The comment lines a file starts with (its header).
fn header(text: &str) -> String {
    text.lines().take_while(|l| l.starts_with("//")).collect::<Vec<_>>().join("\n")
}

/// Every `<prefix><name><suffix>` in `text`, as `<name>`.
fn mentions<'a>(text: &'a str, prefix: &str, suffix: &str) -> Vec<&'a str> {
    text.match_indices(prefix)
        .filter_map(|(i, _)| {
            let rest = &text[i + prefix.len()..];
            let name = &rest
                [..rest.find(|c: char| !(c.is_ascii_alphanumeric() || c == '_' || c == '/')).unwrap_or(rest.len())];
            rest[name.len()..].starts_with(suffix).then_some(name)
        })
        .collect()
}

#[test]
fn every_shader_and_its_cpu_twin_name_each_other() {
    let cpu_dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("src/backend/cpu");
    for (shader, src) in SHADERS {
        let head = header(src);
        let twins = mentions(&head, "crate/src/backend/cpu/", ".rs");
        assert!(head.contains("CPU twin") && !twins.is_empty(), "{shader}.wgsl's header names no CPU twin:\n{head}");
        for twin in twins {
            let text = std::fs::read_to_string(cpu_dir.join(format!("{twin}.rs")))
                .unwrap_or_else(|e| panic!("{shader}.wgsl names cpu/{twin}.rs, which cannot be read: {e}"));
            assert!(
                header(&text).contains(&format!("shaders/{shader}.wgsl")),
                "cpu/{twin}.rs is {shader}.wgsl's twin but its header does not name shaders/{shader}.wgsl"
            );
        }
    }
    let mut files: Vec<_> = std::fs::read_dir(&cpu_dir).unwrap().map(|e| e.unwrap().path()).collect();
    files.sort();
    for path in files {
        let head = header(&std::fs::read_to_string(&path).unwrap());
        let named = mentions(&head, "shaders/", ".wgsl");
        for name in &named {
            assert!(
                shader_source(name).is_some(),
                "{} names shaders/{name}.wgsl, which is not a shader",
                path.display()
            );
        }
        // The backend itself has the GPU backend's op mapping as its twin.
        let gpu_files = mentions(&head, "crate/src/backend/gpu/", ".rs");
        for file in &gpu_files {
            let twin = cpu_dir.join("../gpu").join(format!("{file}.rs"));
            assert!(twin.is_file(), "{} names {}, which does not exist", path.display(), twin.display());
        }
        // A file that is not a kernel says so ("No GPU twin: …", with the reason).
        assert!(
            !named.is_empty() || !gpu_files.is_empty() || head.contains("No GPU twin:"),
            "{} names no GPU twin (or says \"No GPU twin:\" and why)",
            path.display()
        );
    }
}
