//! Compares the Rust mirrors with the C header as a C compiler sees it: struct sizes,
//! alignments and field offsets, enum sizes and every constant. The expected values come from
//! compiling and running a small C program (`$CC`, default `cc`) against the header the build
//! script found, so they are independent of the Rust declarations.

use std::collections::BTreeMap;
use std::mem::{align_of, offset_of, size_of};
use std::path::PathBuf;
use std::process::Command;

use sparseprop_sys::*;

const C_PROGRAM: &str = r#"
#include <stdio.h>
#include <stddef.h>
#include <sparseprop/sparseprop.h>
#define S(T) printf("sizeof %s %zu\n", #T, sizeof(T)); printf("alignof %s %zu\n", #T, _Alignof(T));
#define O(T, F) printf("offsetof %s.%s %zu\n", #T, #F, offsetof(T, F));
#define C(X) printf("const %s %lld\n", #X, (long long)(X));
int main(void) {
  S(sp_synapses) O(sp_synapses, row_ptr) O(sp_synapses, targets) O(sp_synapses, weights)
  O(sp_synapses, k) O(sp_synapses, seed) O(sp_synapses, weight)
  S(sp_allocator) O(sp_allocator, alloc) O(sp_allocator, free) O(sp_allocator, ctx)
  S(sp_spike) O(sp_spike, t) O(sp_spike, neuron) O(sp_spike, flags)
  S(sp_network_desc) O(sp_network_desc, struct_size) O(sp_network_desc, model)
  O(sp_network_desc, n) O(sp_network_desc, tau) O(sp_network_desc, drive)
  O(sp_network_desc, drives) O(sp_network_desc, recurrent) O(sp_network_desc, n_inputs)
  O(sp_network_desc, inputs) O(sp_network_desc, v0) O(sp_network_desc, init_seed)
  O(sp_network_desc, t_ref) O(sp_network_desc, input_capacity) O(sp_network_desc, allocator)
  O(sp_network_desc, frame) O(sp_network_desc, reserved)
  C(SP_NETWORK_DESC_SIZE_MIN) C(SP_NETWORK_DESC_SIZE_V1) C(SP_NETWORK_DESC_SIZE_V2) C(SP_NETWORK_DESC_SIZE_MAX)
  S(sp_status) S(sp_model) S(sp_frame) S(sp_param)
  C(SP_VERSION_MAJOR) C(SP_VERSION_MINOR) C(SP_VERSION_PATCH) C(SP_VERSION_NUMBER)
  C(SP_OK) C(SP_ERR_ARGUMENT) C(SP_ERR_NOMEM) C(SP_ERR_UNSUPPORTED) C(SP_ERR_STATE)
  C(SP_ERR_CAPACITY) C(SP_ERR_IO) C(SP_ERR_FORMAT) C(SP_ERR_NUMERIC)
  C(SP_MODEL_LIF) C(SP_MODEL_QIF) C(SP_MODEL_EIF) C(SP_MODEL_CUSTOM)
  C(SP_FRAME_AUTO) C(SP_FRAME_PHASE) C(SP_FRAME_TIME)
  C(SP_PARAM_WEIGHTS) C(SP_PARAM_INPUT_WEIGHTS) C(SP_PARAM_DRIVES) C(SP_PARAM_V0)
  C(SP_SPIKE_TRIGGERED) C(SP_SPIKE_INPUT_TRIGGERED)
  printf("const sp_status_is_signed %d\n", (int)((sp_status)-1 < 0));
  printf("const sp_model_is_signed %d\n", (int)((sp_model)-1 < 0));
  printf("const sp_frame_is_signed %d\n", (int)((sp_frame)-1 < 0));
  printf("const sp_param_is_signed %d\n", (int)((sp_param)-1 < 0));
  printf("string SP_VERSION_STRING %s\n", SP_VERSION_STRING);
  return 0;
}
"#;

fn include_dir() -> PathBuf {
    let dir = env!("SPARSEPROP_SYS_INCLUDE_DIR");
    assert!(!dir.is_empty(), "the build script found no sparseprop/sparseprop.h; set SPARSEPROP_INCLUDE_DIR");
    PathBuf::from(dir)
}

/// Runs the C program and returns "kind name" -> value.
fn c_view() -> BTreeMap<String, String> {
    let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("sparseprop-sys-layout");
    std::fs::create_dir_all(&dir).unwrap();
    let src = dir.join("layout.c");
    let exe = dir.join("layout");
    std::fs::write(&src, C_PROGRAM).unwrap();
    let cc = std::env::var("CC").unwrap_or_else(|_| "cc".into());
    let status = Command::new(&cc)
        .args(["-std=c11", "-Wall", "-Werror", "-pedantic", "-o"])
        .arg(&exe)
        .arg("-I")
        .arg(include_dir())
        .arg(&src)
        .status()
        .unwrap_or_else(|e| panic!("cannot run the C compiler {cc:?}: {e}"));
    assert!(status.success(), "compiling the layout probe failed");
    let out = Command::new(&exe).output().unwrap();
    assert!(out.status.success());
    String::from_utf8(out.stdout)
        .unwrap()
        .lines()
        .map(|l| {
            let mut it = l.splitn(3, ' ');
            let kind = it.next().unwrap();
            let name = it.next().unwrap();
            (format!("{kind} {name}"), it.next().unwrap_or("").to_string())
        })
        .collect()
}

#[test]
fn layout_matches_c() {
    let c = c_view();
    let mut rust: Vec<(String, String)> = Vec::new();
    macro_rules! s {
        ($t:ident) => {
            rust.push((format!("sizeof {}", stringify!($t)), size_of::<$t>().to_string()));
            rust.push((format!("alignof {}", stringify!($t)), align_of::<$t>().to_string()));
        };
    }
    macro_rules! o {
        ($t:ident, $($f:ident),*) => {
            $(rust.push((format!("offsetof {}.{}", stringify!($t), stringify!($f)),
                         offset_of!($t, $f).to_string()));)*
        };
    }
    macro_rules! k {
        ($($x:ident),*) => { $(rust.push((format!("const {}", stringify!($x)), ($x as i64).to_string()));)* };
    }
    s!(sp_synapses);
    o!(sp_synapses, row_ptr, targets, weights, k, seed, weight);
    s!(sp_allocator);
    o!(sp_allocator, alloc, free, ctx);
    s!(sp_spike);
    o!(sp_spike, t, neuron, flags);
    s!(sp_network_desc);
    o!(
        sp_network_desc,
        struct_size,
        model,
        n,
        tau,
        drive,
        drives,
        recurrent,
        n_inputs,
        inputs,
        v0,
        init_seed,
        t_ref,
        input_capacity,
        allocator,
        frame,
        reserved
    );
    k!(SP_NETWORK_DESC_SIZE_MIN, SP_NETWORK_DESC_SIZE_V1, SP_NETWORK_DESC_SIZE_V2, SP_NETWORK_DESC_SIZE_MAX);
    s!(sp_status);
    s!(sp_model);
    s!(sp_frame);
    s!(sp_param);
    k!(SP_VERSION_MAJOR, SP_VERSION_MINOR, SP_VERSION_PATCH, SP_VERSION_NUMBER);
    k!(
        SP_OK,
        SP_ERR_ARGUMENT,
        SP_ERR_NOMEM,
        SP_ERR_UNSUPPORTED,
        SP_ERR_STATE,
        SP_ERR_CAPACITY,
        SP_ERR_IO,
        SP_ERR_FORMAT,
        SP_ERR_NUMERIC
    );
    k!(SP_MODEL_LIF, SP_MODEL_QIF, SP_MODEL_EIF, SP_MODEL_CUSTOM);
    k!(SP_FRAME_AUTO, SP_FRAME_PHASE, SP_FRAME_TIME);
    k!(SP_PARAM_WEIGHTS, SP_PARAM_INPUT_WEIGHTS, SP_PARAM_DRIVES, SP_PARAM_V0);
    k!(SP_SPIKE_TRIGGERED, SP_SPIKE_INPUT_TRIGGERED);
    // Signedness of the integer types behind the enumerations.
    macro_rules! signed {
        ($($t:ident),*) => { $(rust.push((format!("const {}_is_signed", stringify!($t)),
                                          (((-1i64 as $t as i64) < 0) as i64).to_string()));)* };
    }
    signed!(sp_status, sp_model, sp_frame, sp_param);
    rust.push(("string SP_VERSION_STRING".into(), SP_VERSION_STRING.to_str().unwrap().into()));

    let mut checked = 0;
    for (key, value) in &rust {
        let expected = c.get(key).unwrap_or_else(|| panic!("the C probe printed no {key:?}"));
        assert_eq!(value, expected, "{key}: Rust has {value}, C has {expected}");
        checked += 1;
    }
    assert_eq!(checked, c.len(), "the C probe printed values the Rust side does not check");
}

/// Every function the header declares is declared here, with the same return and parameter
/// types by ABI class (a pointer, or the scalar: f64, usize, u32, i32 ...; typedefs and
/// aliases resolved), and nothing else is. Reads both sources as text: a size_t declared as
/// u32 here, or an f64 return as f32, fails.
#[test]
fn every_header_function_is_declared() {
    let header = std::fs::read_to_string(include_dir().join("sparseprop").join("sparseprop.h")).unwrap();
    let c = c_functions(&header);
    let rust = rust_functions(include_str!("../src/lib.rs"));
    assert!(c.len() >= 29, "parsed only {} declarations from the header", c.len());
    assert_eq!(c, rust, "header (left) and sparseprop-sys (right) disagree");
}

fn strip_c_comments(s: &str) -> String {
    let mut out = String::new();
    let mut rest = s;
    while let Some(i) = rest.find("/*") {
        out.push_str(&rest[..i]);
        let j = rest[i..].find("*/").expect("unterminated comment") + i + 2;
        rest = &rest[j..];
    }
    out.push_str(rest);
    out
}

fn params_of(params: &str) -> Vec<&str> {
    let p = params.trim().trim_end_matches(',');
    if p.is_empty() || p == "void" {
        Vec::new()
    } else {
        p.split(',').map(str::trim).collect()
    }
}

/// The ABI class of a C declaration's type ("sp_network *net", "SP_API double").
fn c_class(decl: &str, typedefs: &BTreeMap<String, String>) -> String {
    if decl.contains('*') {
        return "ptr".into();
    }
    let ty = decl.split_whitespace().find(|w| *w != "const" && *w != "SP_API").unwrap();
    let ty = typedefs.get(ty).map(String::as_str).unwrap_or(ty);
    match ty {
        "double" => "f64",
        "float" => "f32",
        "size_t" => "usize",
        "uint32_t" => "u32",
        "uint64_t" => "u64",
        "int32_t" => "i32",
        "void" => "void",
        other => panic!("unclassified C type {other} in {decl:?}"),
    }
    .into()
}

/// The ABI class of a Rust type ("*mut sp_network", "sp_status", "usize").
fn rust_class(ty: &str, aliases: &BTreeMap<String, String>) -> String {
    let ty = ty.trim();
    if ty.starts_with('*') {
        return "ptr".into();
    }
    let ty = aliases.get(ty).map(String::as_str).unwrap_or(ty);
    match ty {
        "f64" | "f32" | "usize" | "u32" | "u64" | "i32" => ty.into(),
        other => panic!("unclassified Rust type {other}"),
    }
}

fn c_functions(header: &str) -> BTreeMap<String, Vec<String>> {
    let text = strip_c_comments(header);
    let mut typedefs = BTreeMap::new();
    let mut out = BTreeMap::new();
    for decl in text.split(';') {
        let decl = decl.trim();
        let words: Vec<&str> = decl.split_whitespace().collect();
        if let [.., "typedef", base, alias] = words[..] {
            typedefs.insert(alias.to_string(), base.to_string());
            continue;
        }
        let Some(pos) =
            decl.rfind("\nSP_API ").map(|p| p + 1).or_else(|| decl.starts_with("SP_API ").then_some(0))
        else {
            continue;
        };
        let decl = &decl[pos..];
        let open = decl.find('(').unwrap();
        let close = decl.rfind(')').unwrap();
        let head = decl[..open].trim();
        let name = head.split_whitespace().last().unwrap().trim_start_matches('*');
        let ret = &head[..head.len() - name.len()];
        let mut classes = vec![c_class(ret, &typedefs)];
        classes.extend(params_of(&decl[open + 1..close]).into_iter().map(|p| c_class(p, &typedefs)));
        out.insert(name.to_string(), classes);
    }
    out
}

fn rust_functions(src: &str) -> BTreeMap<String, Vec<String>> {
    let mut aliases = BTreeMap::new();
    for line in src.lines() {
        let line = line.trim();
        if let Some(rest) = line.strip_prefix("pub type ") {
            let (alias, ty) = rest.trim_end_matches(';').split_once('=').unwrap();
            aliases.insert(alias.trim().to_string(), ty.trim().to_string());
        }
    }
    let mut out = BTreeMap::new();
    let mut rest = src;
    while let Some(i) = rest.find("pub fn ") {
        let after = &rest[i + 7..];
        let open = after.find('(').unwrap();
        let name = after[..open].trim().to_string();
        let close = after.find(')').unwrap();
        let end = after[close..].find(';').unwrap() + close;
        let ret = after[close + 1..end].trim();
        let mut classes = vec![match ret.strip_prefix("->") {
            Some(ty) => rust_class(ty, &aliases),
            None => "void".to_string(),
        }];
        for p in params_of(&after[open + 1..close]) {
            classes.push(rust_class(p.split_once(':').unwrap().1, &aliases));
        }
        out.insert(name, classes);
        rest = &after[end..];
    }
    out
}

/// The class check tells types apart (a narrower, signed or float type is not the header's).
#[test]
fn the_type_check_tells_types_apart() {
    let none = BTreeMap::new();
    assert_ne!(rust_class("u32", &none), c_class("size_t cap", &none));
    assert_ne!(rust_class("f32", &none), c_class("double t", &none));
    assert_ne!(rust_class("u32", &none), c_class("int32_t s", &none));
    assert_eq!(rust_class("*mut *mut sp_network", &none), c_class("sp_network **out", &none));
    let c = c_functions("typedef int32_t sp_status;\nSP_API sp_status sp_f(double t, size_t n) SP_NOEXCEPT;");
    assert_eq!(c["sp_f"], ["i32", "f64", "usize"]);
}

/// The library links and is the version the declarations were written for (same major and
/// minor: additions within a major version keep these declarations valid).
#[test]
fn linked_library_version() {
    let number = unsafe { sp_version_number() };
    let string = unsafe { std::ffi::CStr::from_ptr(sp_version_string()) }.to_str().unwrap();
    assert_eq!(number / 10000, SP_VERSION_MAJOR, "linked {string}");
    assert!(number >= SP_VERSION_NUMBER, "linked {string} is older than the header {:?}", SP_VERSION_STRING);
    let parts: Vec<u32> = string.split('.').map(|p| p.parse().unwrap()).collect();
    assert_eq!(parts[0] * 10000 + parts[1] * 100 + parts[2], number);
    let name = unsafe { std::ffi::CStr::from_ptr(sp_status_name(SP_ERR_ARGUMENT)) };
    assert_eq!(name.to_str().unwrap(), "SP_ERR_ARGUMENT");
}
