#!/usr/bin/env python3
"""check_symbols.py - symbol checks on the built libraries (python3 stdlib + binutils).

  check_symbols.py exports SHARED_LIB HEADER
      The shared library's dynamic symbol table defines only sp_* symbols, and every
      function declared `SP_API ... sp_name(` in HEADER is among them (as a function).

  check_symbols.py no-cxx EXECUTABLE STATIC_LIB
      EXECUTABLE (a C program linked against STATIC_LIB by the C driver) does not need
      libstdc++, and STATIC_LIB refers to no C++ runtime symbol it does not define itself.
      On failure, the offending undefined symbols are listed (from nm -u).

Exit status 0 on success, 1 on a failed check, 77 (skip) when a needed tool is missing.
"""
import re
import shutil
import subprocess
import sys

# Symbols a GNU linker may put in a shared object's dynamic symbol table by itself. With the
# library's version script ({ global: sp_*; local: *; }) none of them should appear; they are
# tolerated (and reported) only in case an older binutils exports them anyway:
#   _init, _fini          - ELF init/fini section entry points
#   __bss_start, _edata, _end - section boundary markers
LINKER_PROVIDED = {"_init", "_fini", "__bss_start", "_edata", "_end"}

# Undefined symbols that come from the C++ runtime (libstdc++ / libsupc++) rather than libc,
# libm, libmvec or libgcc. (_ZGV... names are the vector function ABI's: glibc's libmvec, a C
# library, e.g. _ZGVdN4v_tan.)
CXX_RUNTIME = re.compile(r"^(_Z(?!GV)|__cxa_|__gxx_|__dynamic_cast|_Unwind_Resume$|__cxx_)")


def tool(name):
    path = shutil.which(name)
    if path is None:
        print(f"SKIP: {name} not found")
        sys.exit(77)
    return path


def run(args):
    res = subprocess.run(args, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    if res.returncode != 0:
        print(f"FAIL: {' '.join(args)} exited {res.returncode}:\n{res.stderr}")
        sys.exit(1)
    return res.stdout


def header_functions(header):
    text = open(header, encoding="utf-8").read()
    text = re.sub(r"/\*.*?\*/", " ", text, flags=re.S)  # drop comments
    text = re.sub(r"^\s*#.*$", " ", text, flags=re.M)    # drop preprocessor lines
    return sorted(set(re.findall(r"\bSP_API\b[^;{}()]*?\b(sp_\w+)\s*\(", text)))


def check_exports(lib, header):
    nm = tool("nm")
    out = run([nm, "-D", "--defined-only", lib])
    defined = {}
    for line in out.splitlines():
        parts = line.split()
        if len(parts) < 2:
            continue
        kind, name = parts[-2], parts[-1]
        name = name.split("@")[0]  # versioned names: sp_x@@VERS
        defined[name] = kind
    bad = sorted(n for n in defined if not n.startswith("sp_") and n not in LINKER_PROVIDED)
    tolerated = sorted(n for n in defined if n in LINKER_PROVIDED)
    declared = header_functions(header)
    missing = [n for n in declared if n not in defined]
    not_functions = [n for n in declared if n in defined and defined[n] not in ("T", "t", "i")]
    undeclared = sorted(n for n in defined if n.startswith("sp_") and n not in declared)

    print(f"{lib}: {len(defined)} dynamic symbols defined, "
          f"{len(declared)} functions declared in {header}")
    if tolerated:
        print("note: linker-provided symbols exported: " + ", ".join(tolerated))
    if undeclared:
        print("note: exported sp_ symbols not declared with SP_API in the header: "
              + ", ".join(undeclared))
    ok = True
    if len(declared) < 20:
        print(f"FAIL: only {len(declared)} SP_API functions found in the header; "
              "the declaration pattern probably changed")
        ok = False
    if bad:
        print("FAIL: exported symbols outside sp_*:\n  " + "\n  ".join(bad))
        ok = False
    if missing:
        print("FAIL: declared in the header but not exported:\n  " + "\n  ".join(missing))
        ok = False
    if not_functions:
        print("FAIL: exported but not as functions: "
              + ", ".join(f"{n} ({defined[n]})" for n in not_functions))
        ok = False
    return ok


def check_no_cxx(exe, static_lib):
    ok = True
    readelf = shutil.which("readelf")
    if readelf:
        dyn = run([readelf, "-d", exe])
        needed = re.findall(r"\(NEEDED\)\s+Shared library: \[([^\]]+)\]", dyn)
        print(f"{exe} needs: {', '.join(needed) or '(nothing)'}")
        cxx = [n for n in needed if n.startswith("libstdc++") or n.startswith("libc++")]
        if cxx:
            print("FAIL: the C program needs the C++ runtime: " + ", ".join(cxx))
            ok = False
    else:
        print("note: readelf not found; NEEDED entries not checked")

    nm = tool("nm")
    undefined = set()
    for line in run([nm, "-u", static_lib]).splitlines():
        parts = line.split()
        if len(parts) >= 2 and parts[-2] in ("U", "w", "v"):
            undefined.add(parts[-1])
    defined = set()
    for line in run([nm, "--defined-only", static_lib]).splitlines():
        parts = line.split()
        if len(parts) >= 3:
            defined.add(parts[-1])
    external = sorted(undefined - defined)
    cxx_syms = [s for s in external if CXX_RUNTIME.match(s)]
    print(f"{static_lib}: {len(external)} external undefined symbols: " + " ".join(external))
    if cxx_syms:
        print("FAIL: the static library needs C++ runtime symbols:\n  " + "\n  ".join(cxx_syms))
        demangle = shutil.which("c++filt")
        if demangle:
            print(run([demangle] + cxx_syms))
        ok = False
    return ok


def main(argv):
    if len(argv) != 4 or argv[1] not in ("exports", "no-cxx"):
        print(__doc__)
        return 2
    ok = check_exports(argv[2], argv[3]) if argv[1] == "exports" else check_no_cxx(argv[2], argv[3])
    print("OK" if ok else "FAILED")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv))
