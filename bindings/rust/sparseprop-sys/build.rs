//! Finds libsparseprop, in this order:
//!  1. `SPARSEPROP_LIB_DIR` (and optionally `SPARSEPROP_INCLUDE_DIR`);
//!  2. the `pkg-config` program (`$PKG_CONFIG`, default `pkg-config`) asked for `sparseprop`;
//!     with Meson's `build/meson-uninstalled` on `PKG_CONFIG_PATH` it finds an uninstalled
//!     build tree;
//!  3. a plain `-lsparseprop`, left to the linker's default search path.
//!
//! `SPARSEPROP_STATIC=1` links the static archive instead of the shared library.
//!
//! The library directory is passed on to dependent crates as `DEP_SPARSEPROP_LIBDIR` (via
//! `cargo:libdir=`), because `cargo:rustc-link-arg` never reaches them; the safe crate uses it
//! for a run-time path. The include directory used by the layout tests is exported the same
//! way (`DEP_SPARSEPROP_INCLUDE`) and as the compile-time variable `SPARSEPROP_SYS_INCLUDE_DIR`.

use std::env;
use std::path::{Path, PathBuf};
use std::process::Command;

struct Found {
    lib_dirs: Vec<PathBuf>,
    include_dirs: Vec<PathBuf>,
    how: &'static str,
}

fn main() {
    for var in [
        "SPARSEPROP_LIB_DIR",
        "SPARSEPROP_INCLUDE_DIR",
        "SPARSEPROP_STATIC",
        "PKG_CONFIG",
        "PKG_CONFIG_PATH",
        "PKG_CONFIG_LIBDIR",
        "PKG_CONFIG_SYSROOT_DIR",
    ] {
        println!("cargo:rerun-if-env-changed={var}");
    }
    println!("cargo:rerun-if-changed=build.rs");

    let statik = env::var("SPARSEPROP_STATIC").map(|v| v != "0" && !v.is_empty()).unwrap_or(false);

    let found = from_env().or_else(from_pkg_config).unwrap_or_else(|| {
        println!(
            "cargo:warning=libsparseprop not found through SPARSEPROP_LIB_DIR or pkg-config; \
             linking -lsparseprop from the default search path"
        );
        Found { lib_dirs: Vec::new(), include_dirs: Vec::new(), how: "the linker's default search path" }
    });

    for dir in &found.lib_dirs {
        println!("cargo:rustc-link-search=native={}", dir.display());
    }
    if statik {
        println!("cargo:rustc-link-lib=static=sparseprop");
        // The engine is C++ built without exceptions or RTTI and never uses the global new;
        // it still needs libm.
        if !env::var("CARGO_CFG_TARGET_OS").map(|os| os == "windows").unwrap_or(false) {
            println!("cargo:rustc-link-lib=m");
        }
    } else {
        println!("cargo:rustc-link-lib=sparseprop");
    }
    if let Some(dir) = found.lib_dirs.first() {
        println!("cargo:libdir={}", dir.display());
        // This crate's own tests run against the same library without LD_LIBRARY_PATH.
        if !statik && env::var("CARGO_CFG_TARGET_OS").map(|os| os != "windows").unwrap_or(true) {
            println!("cargo:rustc-link-arg-tests=-Wl,-rpath,{}", dir.display());
        }
    }

    // The header the declarations mirror: from the search above, else the repository's.
    let include = found
        .include_dirs
        .iter()
        .find(|d| d.join("sparseprop").join("sparseprop.h").is_file())
        .cloned()
        .or_else(|| {
            let manifest = PathBuf::from(env::var("CARGO_MANIFEST_DIR").ok()?);
            let repo = manifest.parent()?.parent()?.parent()?.join("include");
            repo.join("sparseprop").join("sparseprop.h").is_file().then_some(repo)
        });
    if let Some(inc) = include {
        println!("cargo:include={}", inc.display());
        println!("cargo:rustc-env=SPARSEPROP_SYS_INCLUDE_DIR={}", inc.display());
        println!("cargo:rerun-if-changed={}", inc.join("sparseprop").join("sparseprop.h").display());
    } else {
        println!("cargo:rustc-env=SPARSEPROP_SYS_INCLUDE_DIR=");
    }
    println!("cargo:rustc-env=SPARSEPROP_SYS_FOUND_BY={}", found.how);
}

fn from_env() -> Option<Found> {
    let lib = env::var_os("SPARSEPROP_LIB_DIR").filter(|v| !v.is_empty())?;
    let include_dirs = env::var_os("SPARSEPROP_INCLUDE_DIR")
        .filter(|v| !v.is_empty())
        .map(|v| vec![PathBuf::from(v)])
        .unwrap_or_default();
    Some(Found { lib_dirs: vec![PathBuf::from(lib)], include_dirs, how: "SPARSEPROP_LIB_DIR" })
}

fn from_pkg_config() -> Option<Found> {
    let program = env::var_os("PKG_CONFIG").filter(|v| !v.is_empty()).unwrap_or_else(|| "pkg-config".into());
    // pkg-config prefers sparseprop-uninstalled.pc by itself; asking for it by name as well
    // covers implementations that do not.
    for package in ["sparseprop", "sparseprop-uninstalled"] {
        let Some(libs) = run(&program, &["--libs", package]) else { continue };
        let cflags = run(&program, &["--cflags", package]).unwrap_or_default();
        let lib_dirs = flags_with(&libs, "-L");
        let include_dirs = flags_with(&cflags, "-I");
        return Some(Found { lib_dirs, include_dirs, how: "pkg-config" });
    }
    None
}

fn run(program: &std::ffi::OsStr, args: &[&str]) -> Option<String> {
    let out = Command::new(program).args(args).output().ok()?;
    if !out.status.success() {
        return None;
    }
    String::from_utf8(out.stdout).ok()
}

fn flags_with(flags: &str, prefix: &str) -> Vec<PathBuf> {
    flags
        .split_whitespace()
        .filter_map(|f| f.strip_prefix(prefix))
        .filter(|d| !d.is_empty() && Path::new(d).is_dir())
        .map(PathBuf::from)
        .collect()
}
