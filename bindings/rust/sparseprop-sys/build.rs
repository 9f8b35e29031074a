//! Finds libsparseprop, in this order:
//!  1. `SPARSEPROP_LIB_DIR` (and optionally `SPARSEPROP_INCLUDE_DIR`);
//!  2. `SPARSEPROP_BUILD_DIR`, a Meson build directory: its uninstalled pkg-config file
//!     `meson-uninstalled/sparseprop-uninstalled.pc`, read here (no pkg-config program needed);
//!  3. the `pkg-config` program (`$PKG_CONFIG`, default `pkg-config`) asked for `sparseprop`
//!     (an installed library, or a build tree whose `meson-uninstalled` is on
//!     `PKG_CONFIG_PATH`);
//!  4. the repository's own Meson build directory `build/` (the README's `meson setup build`),
//!     read as in 2, so `cargo test` in a checkout just works after the README's build;
//!  5. a plain `-lsparseprop`, left to the linker's default search path.
//!
//! `SPARSEPROP_STATIC=1` links the static archive instead of the shared library, with the
//! private libraries the .pc file lists (`-lm`, and `-lmvec` for builds with vector math).
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
    /// What a static link needs besides the archive ("m", "mvec"); None: not known.
    private_libs: Option<Vec<String>>,
    how: &'static str,
}

fn main() {
    for var in [
        "SPARSEPROP_LIB_DIR",
        "SPARSEPROP_INCLUDE_DIR",
        "SPARSEPROP_BUILD_DIR",
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

    let found = from_env()
        .or_else(from_build_dir_env)
        .or_else(|| from_pkg_config(statik))
        .or_else(from_repository_build)
        .unwrap_or_else(|| {
            println!(
                "cargo:warning=libsparseprop not found through SPARSEPROP_LIB_DIR, \
                 SPARSEPROP_BUILD_DIR, pkg-config or the repository's build/; linking \
                 -lsparseprop from the default search path"
            );
            Found {
                lib_dirs: Vec::new(),
                include_dirs: Vec::new(),
                private_libs: None,
                how: "the linker's default search path",
            }
        });

    for dir in &found.lib_dirs {
        println!("cargo:rustc-link-search=native={}", dir.display());
    }
    if statik {
        println!("cargo:rustc-link-lib=static=sparseprop");
        // A rebuilt archive must be linked again (a shared library is picked up at run time).
        for dir in &found.lib_dirs {
            let archive = dir.join("libsparseprop.a");
            if archive.is_file() {
                println!("cargo:rerun-if-changed={}", archive.display());
            }
        }
        // The engine is C++ built without exceptions or RTTI and never uses the global new;
        // it still needs libm, and libmvec when built with vector math (the .pc file says).
        match &found.private_libs {
            Some(libs) => {
                for lib in libs {
                    println!("cargo:rustc-link-lib={lib}");
                }
            }
            None => {
                if !env::var("CARGO_CFG_TARGET_OS").map(|os| os == "windows").unwrap_or(false) {
                    println!("cargo:rustc-link-lib=m");
                }
            }
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
    Some(Found {
        lib_dirs: vec![PathBuf::from(lib)],
        include_dirs,
        private_libs: None,
        how: "SPARSEPROP_LIB_DIR",
    })
}

fn from_build_dir_env() -> Option<Found> {
    let dir = env::var_os("SPARSEPROP_BUILD_DIR").filter(|v| !v.is_empty())?;
    let found = from_meson_build(Path::new(&dir), "SPARSEPROP_BUILD_DIR");
    if found.is_none() {
        println!(
            "cargo:warning=SPARSEPROP_BUILD_DIR={}: no meson-uninstalled/sparseprop-uninstalled.pc \
             there (run meson setup and ninja first); trying the other routes",
            Path::new(&dir).display()
        );
    }
    found
}

fn from_repository_build() -> Option<Found> {
    // CARGO_MANIFEST_DIR is bindings/rust/sparseprop-sys inside the repository.
    let manifest = PathBuf::from(env::var_os("CARGO_MANIFEST_DIR")?);
    let build = manifest.parent()?.parent()?.parent()?.join("build");
    from_meson_build(&build, "the repository's build/ directory")
}

/// Reads `DIR/meson-uninstalled/sparseprop-uninstalled.pc` directly: its variables, `Libs`,
/// `Libs.private` and `Cflags`, with `${var}` expanded.
fn from_meson_build(dir: &Path, how: &'static str) -> Option<Found> {
    let pc = dir.join("meson-uninstalled").join("sparseprop-uninstalled.pc");
    println!("cargo:rerun-if-changed={}", pc.display());
    let text = std::fs::read_to_string(&pc).ok()?;
    let mut vars: Vec<(String, String)> = Vec::new();
    let (mut libs, mut private, mut cflags) = (String::new(), String::new(), String::new());
    for line in text.lines() {
        let line = line.trim();
        if let Some(v) = line.strip_prefix("Libs.private:") {
            private = expand(v, &vars);
        } else if let Some(v) = line.strip_prefix("Libs:") {
            libs = expand(v, &vars);
        } else if let Some(v) = line.strip_prefix("Cflags:") {
            cflags = expand(v, &vars);
        } else if let Some((name, value)) = line.split_once('=') {
            if !name.is_empty() && !name.contains(char::is_whitespace) && !name.contains(':') {
                let value = expand(value, &vars);
                vars.push((name.to_string(), value));
            }
        }
    }
    let lib_dirs = flags_with(&libs, "-L");
    if lib_dirs.is_empty() {
        return None;
    }
    let private_libs =
        Some(private.split_whitespace().filter_map(|f| f.strip_prefix("-l")).map(String::from).collect());
    Some(Found { lib_dirs, include_dirs: flags_with(&cflags, "-I"), private_libs, how })
}

fn expand(text: &str, vars: &[(String, String)]) -> String {
    let mut out = text.trim().to_string();
    for (name, value) in vars.iter().rev() {
        out = out.replace(&format!("${{{name}}}"), value);
    }
    out
}

fn from_pkg_config(statik: bool) -> Option<Found> {
    let program = env::var_os("PKG_CONFIG").filter(|v| !v.is_empty()).unwrap_or_else(|| "pkg-config".into());
    // pkg-config prefers sparseprop-uninstalled.pc by itself; asking for it by name as well
    // covers implementations that do not.
    for package in ["sparseprop", "sparseprop-uninstalled"] {
        let Some(libs) = run(&program, &["--libs", package]) else { continue };
        let cflags = run(&program, &["--cflags", package]).unwrap_or_default();
        let lib_dirs = flags_with(&libs, "-L");
        let include_dirs = flags_with(&cflags, "-I");
        let private_libs = if statik {
            run(&program, &["--static", "--libs-only-l", package]).map(|l| {
                l.split_whitespace()
                    .filter_map(|f| f.strip_prefix("-l"))
                    .filter(|&l| l != "sparseprop")
                    .map(String::from)
                    .collect()
            })
        } else {
            None
        };
        return Some(Found { lib_dirs, include_dirs, private_libs, how: "pkg-config" });
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
