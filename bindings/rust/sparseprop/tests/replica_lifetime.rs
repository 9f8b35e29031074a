//! Replicas read their parent's parameters, so the parent's handle must outlive every replica
//! whatever safe code does with them: move a replica or the parent out of a `Replicas` with
//! `std::mem::replace`, swap them between two sets, drop in any order. A tracking allocator
//! sees the order of the frees: the parent's block (its first and only allocation at creation)
//! must be freed last. Run under valgrind, these tests also show no invalid read.

use std::sync::{Arc, Mutex};

use sparseprop::{Allocator, Model, Network, NetworkBuilder, Param, Replicas, Status, Synapses};

#[derive(Default)]
struct Track {
    /// Live blocks, the parent's (the first allocation) first.
    live: Vec<(usize, usize)>,
    first: Option<usize>,
    /// Set when the parent's block was freed while another block was still live.
    parent_freed_early: bool,
    parent_freed: bool,
}

struct Tracking(Arc<Mutex<Track>>);

const ALIGN: usize = 64;

unsafe impl Allocator for Tracking {
    fn alloc(&self, size: usize, _align: usize) -> *mut u8 {
        let layout = std::alloc::Layout::from_size_align(size.max(1), ALIGN).unwrap();
        let p = unsafe { std::alloc::alloc(layout) };
        let mut t = self.0.lock().unwrap();
        if t.first.is_none() {
            t.first = Some(p as usize);
        }
        t.live.push((p as usize, size));
        p
    }
    unsafe fn free(&self, ptr: *mut u8, size: usize) {
        let mut t = self.0.lock().unwrap();
        let i = t.live.iter().position(|b| b.0 == ptr as usize).expect("freeing a block not allocated");
        t.live.swap_remove(i);
        if Some(ptr as usize) == t.first {
            t.parent_freed = true;
            if !t.live.is_empty() {
                t.parent_freed_early = true;
            }
        }
        drop(t);
        let layout = std::alloc::Layout::from_size_align(size.max(1), ALIGN).unwrap();
        unsafe { std::alloc::dealloc(ptr, layout) };
    }
}

fn builder() -> NetworkBuilder<'static> {
    NetworkBuilder::new(Model::Lif, 200).drive(1.1).recurrent(Synapses::procedural(10, 1, -0.1)).init_seed(2)
}

fn tracked() -> (Network, Arc<Mutex<Track>>) {
    let track = Arc::new(Mutex::new(Track::default()));
    let net = builder().build_with_allocator(Box::new(Tracking(track.clone()))).unwrap();
    (net, track)
}

/// Fails the test without running into the use-after-free the failure means (the networks
/// that would touch freed memory are leaked).
fn assert_parent_alive<T>(track: &Arc<Mutex<Track>>, keep: T, when: &str) -> T {
    let t = track.lock().unwrap();
    if t.parent_freed_early || t.parent_freed {
        drop(t);
        std::mem::forget(keep);
        panic!("{when}: the parent's handle was destroyed while a replica still lived");
    }
    keep
}

fn finish(track: &Arc<Mutex<Track>>) {
    let t = track.lock().unwrap();
    assert!(t.parent_freed && !t.parent_freed_early, "the parent's block was not freed last");
    assert!(t.live.is_empty(), "{} blocks leaked", t.live.len());
}

#[test]
fn a_replica_moved_out_keeps_its_parent_alive() {
    let (parent, track) = tracked();
    let mut set = Replicas::new(parent, 2).unwrap();
    let escaped = std::mem::replace(&mut set.replicas_mut()[0], builder().build().unwrap());
    drop(set); // the parent and the other replica
    let mut escaped = assert_parent_alive(&track, escaped, "after dropping the set");
    escaped.rewind().unwrap();
    assert!(!escaped.run_until(0.05).unwrap().is_empty());
    assert_eq!(escaped.params(Param::Drives).unwrap(), vec![1.1; 200]);
    drop(escaped);
    finish(&track);
}

#[test]
fn the_parent_moved_out_and_dropped_stays_alive_for_its_replicas() {
    let (parent, track) = tracked();
    let mut set = Replicas::new(parent, 2).unwrap();
    let parent = std::mem::replace(set.parent_mut(), builder().build().unwrap());
    drop(parent);
    let mut set = assert_parent_alive(&track, set, "after dropping the parent");
    let r = &mut set.replicas_mut()[1];
    r.rewind().unwrap();
    assert!(!r.run_until(0.05).unwrap().is_empty());
    drop(set);
    finish(&track);
}

#[test]
fn swapped_between_sets_and_dropped_in_any_order() {
    let (a, track_a) = tracked();
    let (b, track_b) = tracked();
    let mut set_a = Replicas::new(a, 2).unwrap();
    let mut set_b = Replicas::new(b, 2).unwrap();
    std::mem::swap(&mut set_a.replicas_mut()[0], &mut set_b.replicas_mut()[1]);
    std::mem::swap(set_a.parent_mut(), &mut set_b.replicas_mut()[0]);
    // set_a: parent = a replica of b, replicas = [a replica of b, a replica of a];
    // set_b: parent = b, replicas = [parent a, a replica of a].
    let parent_a = std::mem::replace(&mut set_b.replicas_mut()[0], builder().build().unwrap());
    drop(parent_a);
    let (mut set_a, set_b) = assert_parent_alive(&track_a, (set_a, set_b), "a, after dropping its parent");
    drop(set_b); // b itself; a replica of a
    set_a = assert_parent_alive(&track_b, set_a, "b, after dropping its parent");
    for r in set_a.replicas_mut() {
        r.rewind().unwrap();
        r.run_until(0.02).unwrap();
    }
    set_a.parent_mut().rewind().unwrap();
    set_a.parent_mut().run_until(0.02).unwrap();
    let parts = set_a.into_parent();
    drop(parts);
    finish(&track_a);
    finish(&track_b);
}

/// The same with the library's allocator: only valgrind (or a sanitizer) sees a mistake here.
#[test]
fn default_allocator_any_drop_order() {
    let mut set = Replicas::new(builder().build().unwrap(), 3).unwrap();
    let mut r0 = std::mem::replace(&mut set.replicas_mut()[0], builder().build().unwrap());
    let parent = std::mem::replace(set.parent_mut(), builder().build().unwrap());
    drop(parent);
    let mut r2 = std::mem::replace(&mut set.replicas_mut()[2], builder().build().unwrap());
    drop(set);
    for r in [&mut r0, &mut r2] {
        r.rewind().unwrap();
        assert!(!r.run_until(0.05).unwrap().is_empty());
    }
    drop(r0);
    r2.rewind().unwrap();
    r2.run_until(0.01).unwrap();
}

/// The parent moved out of its set changes the drives on one thread while the replicas run on
/// others: each change waits for the replicas' calls in progress (the family's lock), and a
/// replica that sees a change refuses to run until rewound.
#[test]
fn parameters_change_only_between_replica_calls() {
    let (parent, track) = tracked();
    let mut set = Replicas::new(parent, 2).unwrap();
    let mut parent = std::mem::replace(set.parent_mut(), builder().build().unwrap());
    std::thread::scope(|scope| {
        for r in set.replicas_mut() {
            scope.spawn(move || {
                for _ in 0..200 {
                    if let Err(e) = r.run_until(r.now() + 0.001) {
                        assert_eq!(e.status(), Status::State, "{e}");
                        r.rewind().unwrap();
                    }
                    // (allocates through the parent's allocator; a change of the parent's
                    // drives since the rewind just above makes it refuse too)
                    if let Err(e) = r.record(64) {
                        assert_eq!(e.status(), Status::State, "{e}");
                        r.rewind().unwrap();
                        continue;
                    }
                    r.run_until(r.now() + 0.0005).ok();
                    r.rewind().unwrap();
                }
            });
        }
        let parent = &mut parent;
        scope.spawn(move || {
            for i in 0..200 {
                parent.set_params(Param::Drives, &[1.1 + 0.001 * (i % 3) as f64; 200]).unwrap();
            }
        });
    });
    drop(parent);
    drop(set);
    finish(&track);
}
