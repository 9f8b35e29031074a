//! Gives this crate's tests, examples and benchmarks a run-time search path to the
//! libsparseprop that sparseprop-sys linked, so `cargo test` needs no LD_LIBRARY_PATH.
//! (`cargo:rustc-link-arg` from the -sys crate would not reach them; the directory arrives
//! as `DEP_SPARSEPROP_LIBDIR`.) Crates that depend on this one link statically
//! (`SPARSEPROP_STATIC=1`), set their own run-time path or LD_LIBRARY_PATH, or use an installed
//! library: bindings/rust/README.md, "Run-time path".

fn main() {
    println!("cargo:rerun-if-env-changed=DEP_SPARSEPROP_LIBDIR");
    let Ok(dir) = std::env::var("DEP_SPARSEPROP_LIBDIR") else { return };
    let os = std::env::var("CARGO_CFG_TARGET_OS").unwrap_or_default();
    if dir.is_empty() || os == "windows" {
        return;
    }
    for kind in ["tests", "examples"] {
        println!("cargo:rustc-link-arg-{kind}=-Wl,-rpath,{dir}");
    }
}
