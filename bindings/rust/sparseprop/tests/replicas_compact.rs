//! `Replicas::new` gives the network back when the library refuses replicas (here: a network
//! with the compact layout). Its own test binary: it sets SPARSEPROP_COMPACT_MIN_N, which the
//! library reads at creation, before any other thread could read the environment.

use sparseprop::{Model, NetworkBuilder, Replicas, Status, Synapses};

#[test]
fn replicas_new_gives_the_network_back_on_error() {
    std::env::set_var("SPARSEPROP_COMPACT_MIN_N", "64");
    let mut net = NetworkBuilder::new(Model::Lif, 100)
        .drive(1.1)
        .recurrent(Synapses::procedural(10, 1, -0.1))
        .init_seed(2)
        .build()
        .unwrap();
    let before = net.run_until(0.05).unwrap();
    assert!(!before.is_empty());
    assert_eq!(net.replica().unwrap_err().status(), Status::Unsupported);
    let e = Replicas::new(net, 3).unwrap_err();
    assert_eq!(e.status(), Status::Unsupported);
    assert!(!e.message().is_empty());
    // The network comes back as it was, and goes on.
    let (_, mut net) = e.into_parts();
    assert_eq!(net.now(), 0.05);
    assert!(!net.is_replica());
    net.run_until(0.1).unwrap();
}
