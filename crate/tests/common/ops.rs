//! Backend helpers shared by the GPU-against-CPU tests: upload, read back, and whole op cases
//! run the same way on either backend.

use convplay::backend::geom::Window;
use convplay::backend::ops::{Backend, BnDims};
use convplay::spec::Padding;

/// A buffer holding `data`.
pub fn upload<B: Backend>(be: &B, data: &[f32]) -> B::Buf {
    let b = be.alloc(data.len());
    be.write(&b, data);
    b
}

/// The first `len` values of `b`.
pub fn read<B: Backend>(be: &B, b: &B::Buf, len: usize) -> Vec<f32> {
    pollster::block_on(be.read(b, len)).unwrap()
}

/// Batch norm over `rows` × `c` (random inputs from `seed`): train, backward and inference; the
/// outputs, input and parameter gradients, moving statistics and the inference output.
pub fn bn_case<B: Backend>(be: &B, rows: usize, c: usize, seed: u64) -> Vec<Vec<f32>> {
    let d = BnDims { c, rows, eps: 1e-3, momentum: 0.99 };
    let x = upload(be, &super::random_vec(rows * c, seed));
    let gamma = upload(be, &super::random_vec(c, seed + 1));
    let beta = upload(be, &super::random_vec(c, seed + 2));
    let rm = upload(be, &vec![0.0; c]);
    let rv = upload(be, &vec![1.0; c]);
    let dout = upload(be, &super::random_vec(rows * c, seed + 3));
    let (saved, out, dx, dg, db, inf) =
        (be.alloc(2 * c), be.alloc(rows * c), be.alloc(rows * c), be.alloc(c), be.alloc(c), be.alloc(rows * c));
    be.batch_norm_train(d, &x, &gamma, &beta, &rm, &rv, &saved, &out);
    be.batch_norm_backward(d, &x, &gamma, &saved, &dout, &dx, &dg, &db);
    be.batch_norm_infer(d, &x, &gamma, &beta, &rm, &rv, &inf);
    vec![
        read(be, &out, rows * c),
        read(be, &dx, rows * c),
        read(be, &dg, c),
        read(be, &db, c),
        read(be, &rm, c),
        read(be, &rv, c),
        read(be, &inf, rows * c),
    ]
}

/// A conv's forward (with or without its bias) and all its gradients on `be`, from seeded
/// random values: [out, dx, dw, db].
pub fn conv_case<B: Backend>(be: &B, g: &Window, bias: bool, seed: u64) -> Vec<Vec<f32>> {
    let klen = (g.kh * g.kw * g.c * g.oc) as usize;
    let x = upload(be, &super::random_vec(g.input_len(), seed));
    let w = upload(be, &super::random_vec(klen, seed + 1));
    let b = upload(be, &super::random_vec(g.oc as usize, seed + 2));
    let dout = upload(be, &super::random_vec(g.output_len(), seed + 3));
    let out = be.alloc(g.output_len());
    let (dx, dw, db) = (be.alloc(g.input_len()), be.alloc(klen), be.alloc(g.oc as usize));
    be.conv2d_forward(g, &x, &w, bias.then_some(&b), &out);
    be.conv2d_backward(g, &x, &w, &dout, Some(&dx), &dw, Some(&db));
    vec![
        read(be, &out, g.output_len()),
        read(be, &dx, g.input_len()),
        read(be, &dw, klen),
        read(be, &db, g.oc as usize),
    ]
}

/// A conv's shape: (n, h, w, c, oc, k, stride, padding), a k×k kernel and equal strides.
pub type ConvShape = (u32, u32, u32, u32, u32, u32, u32, Padding);

/// Conv windows of odd shapes: batch 1 and > 1, stride 1 and 2, "same" and "valid", channel
/// counts that are not multiples of 4.
pub const ODD_SHAPES: [ConvShape; 7] = [
    (1, 5, 5, 1, 1, 3, 2, Padding::Same),
    (2, 7, 6, 3, 5, 3, 1, Padding::Valid),
    (3, 9, 7, 5, 6, 3, 2, Padding::Same),
    (2, 8, 8, 7, 9, 5, 1, Padding::Same),
    (1, 13, 11, 6, 70, 1, 1, Padding::Valid),
    (4, 12, 12, 3, 33, 2, 2, Padding::Valid),
    (2, 14, 14, 17, 66, 3, 1, Padding::Same),
];

/// [`ODD_SHAPES`] as windows named `name`.
pub fn odd_windows(name: &str) -> Vec<Window> {
    ODD_SHAPES.iter().map(|&(n, h, w, c, oc, k, s, p)| window(name, (n, h, w, c, oc, k, s, p))).collect()
}

/// One conv window of a [`ConvShape`].
pub fn window(name: &str, (n, h, w, c, oc, k, s, p): ConvShape) -> Window {
    Window::new(
        name,
        n as usize,
        (h as usize, w as usize, c as usize),
        oc as usize,
        (k as usize, k as usize),
        (s as usize, s as usize),
        p,
    )
    .unwrap()
}
