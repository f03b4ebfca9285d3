//! A global allocator that counts the bytes each thread holds, so a test can bound what one
//! call takes (its peak) as well as its time. A test binary that uses it declares
//! `#[global_allocator] static COUNTING: common::peak::Counting = common::peak::Counting;`.

use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::Cell;

thread_local! {
    static LIVE: Cell<isize> = const { Cell::new(0) };
    static PEAK: Cell<isize> = const { Cell::new(0) };
}

pub struct Counting;

fn note(change: isize) {
    let _ = LIVE.try_with(|live| {
        let now = live.get() + change;
        live.set(now);
        let _ = PEAK.try_with(|peak| peak.set(peak.get().max(now)));
    });
}

unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        let p = System.alloc(layout);
        if !p.is_null() {
            note(layout.size() as isize);
        }
        p
    }
    unsafe fn dealloc(&self, p: *mut u8, layout: Layout) {
        System.dealloc(p, layout);
        note(-(layout.size() as isize));
    }
    unsafe fn realloc(&self, p: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        let q = System.realloc(p, layout, new_size);
        if !q.is_null() {
            note(new_size as isize - layout.size() as isize);
        }
        q
    }
}

/// Runs `f` and returns its result, the most bytes it held at once on this thread, and its time.
pub fn measure<T>(f: impl FnOnce() -> T) -> (T, usize, std::time::Duration) {
    let base = LIVE.with(|l| l.get());
    PEAK.with(|p| p.set(base));
    let start = std::time::Instant::now();
    let out = f();
    let took = start.elapsed();
    (out, (PEAK.with(|p| p.get()) - base).max(0) as usize, took)
}
