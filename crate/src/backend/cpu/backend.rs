//! The CPU backend behind the `Backend` trait: runs each op at once, on the threads of the
//! current rayon pool: convolutions, dense layers, max pooling and batch norm on the fast
//! paths (fast.rs, fast_ops.rs), element-wise ops in pieces, the rest with the reference
//! functions.
//! GPU twin: crate/src/backend/gpu/backend/ops.rs, which maps each op to its WGSL kernels.

use super::{act, conv, fast, fast_ops, loss, misc, norm, pool, rng, upsample};
use crate::backend::geom::{Upsample, Window};
use crate::backend::ops::{Backend, BnDims, OptimStep};
use crate::backend::Limits;
use crate::error::Result;
use crate::spec::{Activation, Lrn};
use std::cell::{Cell, RefCell};
use std::rc::Rc;

pub type Buf = Rc<RefCell<Vec<f32>>>;
pub type Idx = Rc<RefCell<Vec<u32>>>;

#[derive(Default)]
pub struct Cpu {
    allocated: Cell<u64>,
    limits: Limits,
}

impl Cpu {
    /// A CPU backend with this platform's limits ([`Limits::platform`]).
    pub fn new() -> Cpu {
        Cpu::default()
    }

    /// A CPU backend whose models may allocate at most `bytes` in all.
    pub fn with_budget(bytes: u64) -> Cpu {
        Cpu::with_limits(Limits::platform().with_budget(bytes))
    }

    pub fn with_limits(limits: Limits) -> Cpu {
        Cpu { allocated: Cell::new(0), limits }
    }
}

fn zero(b: &mut [f32]) {
    b.iter_mut().for_each(|v| *v = 0.0);
}

/// Runs a reference backward with dx (or a scratch buffer when the caller needs none)
/// and zeroed dw, db: the trait's gradients overwrite, the references accumulate.
fn with_grads(
    dx: Option<&Buf>,
    dx_len: usize,
    dw: &Buf,
    db: Option<&Buf>,
    f: impl FnOnce(&mut [f32], &mut [f32], Option<&mut [f32]>),
) {
    let mut scratch;
    let mut dxb = dx.map(|d| d.borrow_mut());
    let dxs: &mut [f32] = match dxb.as_deref_mut() {
        Some(v) => &mut v[..dx_len],
        None => {
            scratch = vec![0.0; dx_len];
            &mut scratch
        }
    };
    let mut dwb = dw.borrow_mut();
    zero(&mut dwb);
    let mut dbb = db.map(|d| d.borrow_mut());
    if let Some(d) = dbb.as_deref_mut() {
        zero(d);
    }
    f(dxs, &mut dwb, dbb.as_deref_mut().map(|v| &mut v[..]));
}

impl Backend for Cpu {
    type Buf = Buf;
    type Idx = Idx;
    type Snapshot = Vec<f32>;

    fn name(&self) -> &'static str {
        "cpu"
    }
    fn alloc(&self, len: usize) -> Buf {
        self.allocated.set(self.allocated.get() + 4 * len as u64);
        Rc::new(RefCell::new(vec![0.0; len.max(1)]))
    }
    fn alloc_idx(&self, len: usize) -> Idx {
        self.allocated.set(self.allocated.get() + 4 * len as u64);
        Rc::new(RefCell::new(vec![0; len.max(1)]))
    }
    fn write(&self, buf: &Buf, data: &[f32]) {
        buf.borrow_mut()[..data.len()].copy_from_slice(data);
    }
    fn write_idx(&self, buf: &Idx, data: &[u32]) {
        buf.borrow_mut()[..data.len()].copy_from_slice(data);
    }
    fn flush(&self) {}
    async fn read(&self, buf: &Buf, len: usize) -> Result<Vec<f32>> {
        Ok(buf.borrow()[..len].to_vec())
    }
    fn snapshot(&self, buf: &Buf, len: usize) -> Vec<f32> {
        // The work is done as it is recorded: the values are there now.
        buf.borrow()[..len].to_vec()
    }
    async fn read_snapshot(&self, snapshot: Vec<f32>, _len: usize) -> Result<Vec<f32>> {
        Ok(snapshot)
    }
    fn allocated_bytes(&self) -> u64 {
        self.allocated.get()
    }
    fn limits(&self) -> Limits {
        self.limits.clone()
    }
    fn fill(&self, buf: &Buf, len: usize, value: f32) {
        buf.borrow_mut()[..len].iter_mut().for_each(|v| *v = value);
    }

    fn conv2d_forward(&self, g: &Window, x: &Buf, w: &Buf, b: Option<&Buf>, out: &Buf) {
        let bb = b.map(|b| b.borrow());
        fast::conv2d_forward(
            g,
            &x.borrow(),
            &w.borrow(),
            bb.as_deref().map(|v| &v[..]),
            &mut out.borrow_mut()[..g.output_len()],
        );
    }
    fn conv2d_backward(&self, g: &Window, x: &Buf, w: &Buf, dout: &Buf, dx: Option<&Buf>, dw: &Buf, db: Option<&Buf>) {
        let mut dxb = dx.map(|d| d.borrow_mut());
        let (mut dwb, mut dbb) = (dw.borrow_mut(), db.map(|d| d.borrow_mut()));
        zero(&mut dwb);
        if let Some(d) = dbb.as_deref_mut() {
            zero(d);
        }
        fast::conv2d_backward_opt(
            g,
            &x.borrow(),
            &w.borrow(),
            &dout.borrow()[..g.output_len()],
            dxb.as_deref_mut().map(|v| &mut v[..g.input_len()]),
            &mut dwb,
            dbb.as_deref_mut().map(|v| &mut v[..]),
        );
    }
    fn conv2d_transpose_forward(&self, g: &Window, x: &Buf, w: &Buf, b: Option<&Buf>, out: &Buf) {
        let mut o = out.borrow_mut();
        let o = &mut o[..g.input_len()];
        fast::conv2d_backward_data(g, &w.borrow(), &x.borrow()[..g.output_len()], o);
        if let Some(b) = b {
            let b: &[f32] = &b.borrow();
            fast_ops::each_rows(g.c as usize, o, |_, row| {
                for px in row.chunks_exact_mut(g.c as usize) {
                    px.iter_mut().zip(b.iter()).for_each(|(v, b)| *v += b);
                }
            });
        }
    }
    fn conv2d_transpose_backward(
        &self,
        g: &Window,
        x: &Buf,
        w: &Buf,
        dout: &Buf,
        dx: Option<&Buf>,
        dw: &Buf,
        db: Option<&Buf>,
    ) {
        let dout = dout.borrow();
        let d = &dout[..g.input_len()];
        if let Some(dx) = dx {
            fast::conv2d_forward(g, d, &w.borrow(), None, &mut dx.borrow_mut()[..g.output_len()]);
        }
        let mut dwb = dw.borrow_mut();
        zero(&mut dwb);
        // conv2d's filter gradient with the roles swapped: its input is dout, its output gradient x.
        fast::conv2d_backward_opt(g, d, &w.borrow(), &x.borrow()[..g.output_len()], None, &mut dwb, None);
        if let Some(db) = db {
            let mut dbb = db.borrow_mut();
            zero(&mut dbb);
            for row in d.chunks_exact(g.c as usize) {
                dbb.iter_mut().zip(row).for_each(|(s, v)| *s += v);
            }
        }
    }
    fn depthwise_forward(&self, g: &Window, x: &Buf, w: &Buf, b: Option<&Buf>, out: &Buf) {
        let bb = b.map(|b| b.borrow());
        fast::depthwise_forward(
            g,
            &x.borrow(),
            &w.borrow(),
            bb.as_deref().map(|v| &v[..]),
            &mut out.borrow_mut()[..g.output_len()],
        );
    }
    fn depthwise_backward(
        &self,
        g: &Window,
        x: &Buf,
        w: &Buf,
        dout: &Buf,
        dx: Option<&Buf>,
        dw: &Buf,
        db: Option<&Buf>,
    ) {
        with_grads(dx, g.input_len(), dw, db, |dx, dw, db| {
            conv::depthwise_backward(g, &x.borrow(), &w.borrow(), &dout.borrow()[..g.output_len()], dx, dw, db)
        });
    }

    fn upsample_forward(&self, g: &Upsample, x: &Buf, out: &Buf) {
        use rayon::prelude::*;
        let (img, oimg) = (g.input_len() / g.n as usize, g.output_len() / g.n as usize);
        let x = &x.borrow()[..g.input_len()];
        out.borrow_mut()[..g.output_len()]
            .par_chunks_mut(oimg)
            .zip(x.par_chunks(img))
            .for_each(|(o, x)| upsample::forward_image(g, x, o));
    }
    fn upsample_backward(&self, g: &Upsample, dout: &Buf, dx: &Buf) {
        use rayon::prelude::*;
        let (img, oimg) = (g.input_len() / g.n as usize, g.output_len() / g.n as usize);
        let dout = &dout.borrow()[..g.output_len()];
        dx.borrow_mut()[..g.input_len()]
            .par_chunks_mut(img)
            .zip(dout.par_chunks(oimg))
            .for_each(|(d, o)| upsample::backward_image(g, o, d));
    }

    fn max_pool_forward(&self, g: &Window, x: &Buf, out: &Buf, argmax: &Idx) {
        let n = g.output_len();
        fast_ops::max_pool_forward(g, &x.borrow(), &mut out.borrow_mut()[..n], &mut argmax.borrow_mut()[..n]);
    }
    fn max_pool_backward(&self, g: &Window, dout: &Buf, argmax: &Idx, dx: &Buf) {
        let n = g.output_len();
        fast_ops::max_pool_backward(
            g,
            &dout.borrow()[..n],
            &argmax.borrow()[..n],
            &mut dx.borrow_mut()[..g.input_len()],
        );
    }
    fn avg_pool_forward(&self, g: &Window, x: &Buf, out: &Buf) {
        pool::avg_pool_forward(g, &x.borrow(), &mut out.borrow_mut()[..g.output_len()]);
    }
    fn avg_pool_backward(&self, g: &Window, dout: &Buf, dx: &Buf) {
        pool::avg_pool_backward(g, &dout.borrow(), &mut dx.borrow_mut()[..g.input_len()]);
    }
    fn global_avg_pool_forward(&self, n: usize, hw: usize, c: usize, x: &Buf, out: &Buf) {
        pool::global_avg_pool_forward(n, hw, c, &x.borrow(), &mut out.borrow_mut());
    }
    fn global_avg_pool_backward(&self, n: usize, hw: usize, c: usize, dout: &Buf, dx: &Buf) {
        pool::global_avg_pool_backward(n, hw, c, &dout.borrow(), &mut dx.borrow_mut());
    }

    fn dense_forward(&self, n: usize, k: usize, m: usize, x: &Buf, w: &Buf, b: Option<&Buf>, out: &Buf) {
        let bb = b.map(|b| b.borrow());
        fast_ops::dense_forward(
            n,
            k,
            m,
            &x.borrow(),
            &w.borrow(),
            bb.as_deref().map(|v| &v[..]),
            &mut out.borrow_mut(),
        );
    }
    fn dense_backward(
        &self,
        n: usize,
        k: usize,
        m: usize,
        x: &Buf,
        w: &Buf,
        dout: &Buf,
        dx: Option<&Buf>,
        dw: &Buf,
        db: Option<&Buf>,
    ) {
        with_grads(dx, n * k, dw, db, |dx, dw, db| {
            fast_ops::dense_backward(n, k, m, &x.borrow(), &w.borrow(), &dout.borrow()[..n * m], dx, dw, db)
        });
    }

    fn activation_forward(&self, a: Activation, channels: usize, len: usize, y: &Buf) {
        fast_ops::each_rows(channels, &mut y.borrow_mut()[..len], |_, y| act::activation_forward(a, channels, y));
    }
    fn activation_backward(&self, a: Activation, channels: usize, len: usize, y: &Buf, dy: &Buf) {
        fast_ops::activation_backward(a, channels, &y.borrow()[..len], &mut dy.borrow_mut()[..len]);
    }

    fn batch_norm_train(
        &self,
        d: BnDims,
        x: &Buf,
        gamma: &Buf,
        beta: &Buf,
        rm: &Buf,
        rv: &Buf,
        saved: &Buf,
        out: &Buf,
    ) {
        let len = d.c * d.rows;
        let s = fast_ops::batch_norm_train(
            d.c,
            &x.borrow()[..len],
            &gamma.borrow(),
            &beta.borrow(),
            d.eps,
            d.momentum,
            &mut rm.borrow_mut(),
            &mut rv.borrow_mut(),
            &mut out.borrow_mut()[..len],
        );
        let mut sv = saved.borrow_mut();
        sv[..d.c].copy_from_slice(&s.mean);
        sv[d.c..2 * d.c].copy_from_slice(&s.inv_std);
    }
    fn batch_norm_infer(&self, d: BnDims, x: &Buf, gamma: &Buf, beta: &Buf, rm: &Buf, rv: &Buf, out: &Buf) {
        let len = d.c * d.rows;
        norm::batch_norm_infer(
            d.c,
            &x.borrow()[..len],
            &gamma.borrow(),
            &beta.borrow(),
            d.eps,
            &rm.borrow(),
            &rv.borrow(),
            &mut out.borrow_mut()[..len],
        );
    }
    fn batch_norm_backward(
        &self,
        d: BnDims,
        x: &Buf,
        gamma: &Buf,
        saved: &Buf,
        dout: &Buf,
        dx: &Buf,
        dgamma: &Buf,
        dbeta: &Buf,
    ) {
        let len = d.c * d.rows;
        let sv = saved.borrow();
        let s = norm::BnSaved { mean: sv[..d.c].to_vec(), inv_std: sv[d.c..2 * d.c].to_vec() };
        let (mut dg, mut dbt) = (dgamma.borrow_mut(), dbeta.borrow_mut());
        zero(&mut dg);
        zero(&mut dbt);
        fast_ops::batch_norm_backward(
            d.c,
            &x.borrow()[..len],
            &gamma.borrow(),
            &s,
            &dout.borrow()[..len],
            &mut dx.borrow_mut()[..len],
            &mut dg,
            &mut dbt,
        );
    }

    fn augment(
        &self,
        a: &super::augment::Augment,
        seed: u32,
        n: usize,
        h: usize,
        w: usize,
        c: usize,
        x: &Buf,
        out: &Buf,
    ) {
        let len = n * h * w * c;
        super::augment::affine(a, seed, n, h, w, c, &x.borrow()[..len], &mut out.borrow_mut()[..len]);
    }
    fn dropout_forward(&self, seed: u32, rate: f32, len: usize, x: &Buf, out: &Buf) {
        let keep = 1.0 / (1.0 - rate);
        let x = &x.borrow()[..len];
        fast_ops::each_rows(1, &mut out.borrow_mut()[..len], |at, o| {
            for (i, (o, &x)) in o.iter_mut().zip(&x[at..]).enumerate() {
                *o = if rng::uniform(seed, (at + i) as u32) >= rate { x * keep } else { 0.0 };
            }
        });
    }
    fn dropout_backward(&self, seed: u32, rate: f32, len: usize, dout: &Buf, dx: &Buf) {
        self.dropout_forward(seed, rate, len, dout, dx);
    }

    fn lrn_forward(&self, c: usize, len: usize, p: &Lrn, x: &Buf, out: &Buf) {
        fast_ops::lrn_forward(
            c,
            p.depth_radius,
            p.bias,
            p.alpha,
            p.beta,
            &x.borrow()[..len],
            &mut out.borrow_mut()[..len],
        );
    }
    fn lrn_backward(&self, c: usize, len: usize, p: &Lrn, x: &Buf, dout: &Buf, dx: &Buf) {
        fast_ops::lrn_backward(
            c,
            p.depth_radius,
            p.bias,
            p.alpha,
            p.beta,
            &x.borrow()[..len],
            &dout.borrow()[..len],
            &mut dx.borrow_mut()[..len],
        );
    }

    fn softmax_xent(&self, n: usize, k: usize, logits: &Buf, labels: &Idx, dlogits: &Buf, metrics: &Buf) {
        let labels: Vec<u8> = labels.borrow()[..n].iter().map(|&l| l as u8).collect();
        let (mean, correct) =
            loss::softmax_xent(k, &logits.borrow()[..n * k], &labels, &mut dlogits.borrow_mut()[..n * k]);
        let mut m = metrics.borrow_mut();
        m[0] += mean * n as f32;
        m[1] += correct as f32;
    }

    fn optim_step(&self, step: OptimStep, len: usize, w: &Buf, g: &Buf, m: &Buf, v: &Buf) {
        use rayon::prelude::*;
        let (mut w, g, mut m, mut v) = (w.borrow_mut(), g.borrow(), m.borrow_mut(), v.borrow_mut());
        let (g, p) = (&g[..len], 1 << 14);
        w[..len]
            .par_chunks_mut(p)
            .zip(m[..len].par_chunks_mut(p))
            .zip(v[..len].par_chunks_mut(p))
            .enumerate()
            .for_each(|(k, ((w, m), v))| {
                let g = &g[k * p..];
                for i in 0..w.len() {
                    super::optim::update(step, &mut w[i], g[i], &mut m[i], &mut v[i]);
                }
            });
    }

    fn copy(&self, src: &Buf, dst: &Buf, len: usize) {
        if Rc::ptr_eq(src, dst) {
            return;
        }
        dst.borrow_mut()[..len].copy_from_slice(&src.borrow()[..len]);
    }

    fn add_into(&self, dst: &Buf, src: &Buf, len: usize) {
        let (mut d, s) = (dst.borrow_mut(), src.borrow());
        for i in 0..len {
            d[i] += s[i];
        }
    }
    fn concat_part(
        &self,
        split: bool,
        rows: usize,
        c_part: usize,
        c_total: usize,
        offset: usize,
        part: &Buf,
        out: &Buf,
    ) {
        let (mut p, mut o) = (part.borrow_mut(), out.borrow_mut());
        for r in 0..rows {
            let (pr, or) = (r * c_part, r * c_total + offset);
            if split {
                p[pr..pr + c_part].copy_from_slice(&o[or..or + c_part]);
            } else {
                o[or..or + c_part].copy_from_slice(&p[pr..pr + c_part]);
            }
        }
    }
    fn scale_channels(&self, n: usize, hw: usize, c: usize, x: &Buf, s: &Buf, out: &Buf) {
        misc::scale_channels(
            n,
            hw,
            c,
            &x.borrow()[..n * hw * c],
            &s.borrow()[..n * c],
            &mut out.borrow_mut()[..n * hw * c],
        );
    }
    fn scale_channels_backward(&self, n: usize, hw: usize, c: usize, x: &Buf, s: &Buf, dy: &Buf, dx: &Buf, ds: &Buf) {
        let len = n * hw * c;
        misc::scale_channels_backward(
            n,
            hw,
            c,
            &x.borrow()[..len],
            &s.borrow()[..n * c],
            &dy.borrow()[..len],
            &mut dx.borrow_mut()[..len],
            &mut ds.borrow_mut()[..n * c],
        );
    }
}
