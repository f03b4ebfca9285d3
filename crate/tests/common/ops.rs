//! Backend helpers shared by the GPU-against-CPU tests: upload, read back, and whole op cases
//! run the same way on either backend.

use convplay::backend::ops::{Backend, BnDims};

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
pub fn conv_case<B: Backend>(be: &B, g: &convplay::backend::geom::Window, bias: bool, seed: u64) -> Vec<Vec<f32>> {
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
