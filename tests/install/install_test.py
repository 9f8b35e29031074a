#!/usr/bin/env python3
"""The README's "Install and link" section, run: install into a staging directory, build the
README's C example with pkg-config against it every way the README shows, run each program
and the installed sparseprop program, and check what an installation ships.

usage: install_test.py MESON BUILD_DIR SOURCE_DIR WORK_DIR CC... -- PREFIX LIBDIR BINDIR
       INCLUDEDIR DATADIR MANDIR WITH_CLI

The staging directory stands for a prefix outside the loader's path: `meson install
--destdir D` puts the files in D/PREFIX, and pkg-config is told the prefix moved
(--define-variable=prefix=D/PREFIX), which gives exactly the flags of a build configured
with --prefix=D/PREFIX.
"""
import os
import shutil
import subprocess
import sys

README_BEGIN, README_END = "<!-- example:begin -->", "<!-- example:end -->"


def fail(what):
    print("FAIL:", what)
    sys.exit(1)


def expect(cond, what):
    if not cond:
        fail(what)


def run(cmd, env=None, check=True):
    p = subprocess.run(cmd, capture_output=True, text=True, env=env, timeout=300)
    if check and p.returncode != 0:
        fail("%s: exit %d\n%s%s" % (" ".join(cmd), p.returncode, p.stdout, p.stderr))
    return p


def clean_env(**extra):
    """The environment without anything that would find the library for the loader or
    pkg-config by accident."""
    env = {k: v for k, v in os.environ.items()
           if k not in ("LD_LIBRARY_PATH", "PKG_CONFIG_PATH", "PKG_CONFIG_LIBDIR",
                        "PKG_CONFIG_SYSROOT_DIR", "LD_PRELOAD")}
    env.update(extra)
    return env


def readme_example(source_dir, out_path):
    with open(os.path.join(source_dir, "README.md")) as f:
        text = f.read()
    expect(README_BEGIN in text and README_END in text, "README example markers missing")
    block = text.split(README_BEGIN, 1)[1].split(README_END, 1)[0]
    expect("```c\n" in block, "README example: no ```c fence")
    code = block.split("```c\n", 1)[1].split("```", 1)[0]
    with open(out_path, "w") as f:
        f.write(code)


def check_example_output(p, how):
    expect(p.returncode == 0, "%s: exit %d: %s" % (how, p.returncode, p.stderr))
    expect("first spike: neuron" in p.stdout and "Hz per neuron" in p.stdout,
           "%s: output %r" % (how, p.stdout))


def main():
    argv = sys.argv[1:]
    sep = argv.index("--")
    meson, build, source, work = argv[:4]
    cc = argv[4:sep]
    prefix, libdir, bindir, includedir, datadir, mandir, with_cli = argv[sep + 1:]

    if shutil.which("pkg-config") is None:
        print("pkg-config not found: skipped")
        sys.exit(77)
    shutil.rmtree(work, ignore_errors=True)
    os.makedirs(work)
    stage = os.path.join(work, "stage")
    run([meson, "install", "-C", build, "--no-rebuild", "--quiet", "--destdir", stage])

    root = stage + prefix  # PREFIX is absolute
    def under(d):
        return d if os.path.isabs(d) and d.startswith(root) else os.path.join(root, d)
    lib, bin_, inc = under(libdir), under(bindir), under(includedir)

    # What an installation ships.
    shipped = [os.path.join(inc, "sparseprop", "sparseprop.h"),
               os.path.join(lib, "libsparseprop.so.0"), os.path.join(lib, "libsparseprop.a"),
               os.path.join(lib, "pkgconfig", "sparseprop.pc"),
               os.path.join(under(datadir), "doc", "sparseprop", "LICENSE"),
               os.path.join(under(datadir), "doc", "sparseprop", "README.md"),
               os.path.join(under(datadir), "doc", "sparseprop", "FORMAT.md")]
    if with_cli == "true":
        shipped += [os.path.join(bin_, "sparseprop"),
                    os.path.join(under(mandir), "man1", "sparseprop.1")]
    for path in shipped:
        expect(os.path.isfile(path), "not installed: " + path[len(stage):])
    expect(not os.path.exists(os.path.join(inc, "sparseprop", "sparseprop_version.h")),
           "sparseprop_version.h is installed, though no installed header includes it")

    # pkg-config as a user of a custom prefix runs it.
    pc_env = clean_env(PKG_CONFIG_PATH=os.path.join(lib, "pkgconfig"))
    def pkg(*args):
        return run(["pkg-config", "--define-variable=prefix=" + root, *args, "sparseprop"],
                   env=pc_env).stdout.split()
    cflags, libs = pkg("--cflags"), pkg("--libs")
    pc_libdir = pkg("--variable=libdir")[0]
    expect(os.path.samefile(pc_libdir, lib), "pkg-config libdir %s, want %s" % (pc_libdir, lib))
    expect(not any("rpath" in f for f in libs), "the .pc file carries an rpath: %r" % libs)

    example = os.path.join(work, "example.c")
    readme_example(source, example)
    def build_example(name, *flags):
        exe = os.path.join(work, name)
        run(cc + ["-std=c99", example, *flags, "-o", exe], env=pc_env)
        return exe

    # 1. Plain pkg-config flags: links, but the loader cannot find the library...
    exe = build_example("example-plain", *cflags, *libs)
    p = run([exe], env=clean_env(), check=False)
    if p.returncode == 0:
        print("note: a libsparseprop.so.0 on the loader's path was found; skipping the check "
              "that the plain build needs a run-time path")
    else:
        expect("libsparseprop.so.0" in p.stderr, "plain build: %r" % p.stderr)
    # ... until LD_LIBRARY_PATH names the directory.
    check_example_output(run([exe], env=clean_env(LD_LIBRARY_PATH=pc_libdir), check=False),
                         "LD_LIBRARY_PATH")

    # 2. With a run-time path from pkg-config's libdir: runs as it is.
    exe = build_example("example-rpath", *cflags, *libs, "-Wl,-rpath," + pc_libdir)
    check_example_output(run([exe], env=clean_env(), check=False), "-Wl,-rpath")

    # 3. Static: the archive by its path plus the private libraries; then fully static.
    private = [f for f in pkg("--static", "--libs-only-l") if f != "-lsparseprop"]
    exe = build_example("example-archive", *cflags, os.path.join(pc_libdir, "libsparseprop.a"),
                        *private)
    check_example_output(run([exe], env=clean_env(), check=False), "libsparseprop.a")
    needed = run(["ldd", exe], check=False).stdout if shutil.which("ldd") else ""
    expect("libsparseprop" not in needed, "the archive build still needs the .so:\n" + needed)
    p = run(cc + ["-static", "-std=c99", example, *cflags, *pkg("--static", "--libs"), "-o",
                  os.path.join(work, "example-static")], env=pc_env, check=False)
    if p.returncode != 0:
        print("note: no fully static link (libc.a missing?):", p.stderr.strip()[-200:])
    else:
        check_example_output(run([os.path.join(work, "example-static")], env=clean_env(),
                                 check=False), "-static")

    # 4. The uninstalled build through its own .pc file, as meson devenv sets it up.
    unpc_env = clean_env(PKG_CONFIG_PATH=os.path.join(build, "meson-uninstalled"))
    flags = run(["pkg-config", "--cflags", "--libs", "sparseprop"], env=unpc_env).stdout.split()
    exe = os.path.join(work, "example-uninstalled")
    run(cc + ["-std=c99", example, *flags, "-o", exe], env=unpc_env)
    check_example_output(run([exe], env=clean_env(LD_LIBRARY_PATH=os.path.join(build, "src")),
                             check=False), "uninstalled .pc")

    # 5. The installed program runs from the staging tree with nothing set.
    if with_cli == "true":
        cli = os.path.join(bin_, "sparseprop")
        p = run([cli, "--version"], env=clean_env(), check=False)
        expect(p.returncode == 0 and p.stdout.startswith("sparseprop "),
               "installed sparseprop --version: exit %d %r" % (p.returncode, p.stderr))
        p = run([cli, "run", "--n", "1000", "--k", "10", "--spikes-count", "2000"],
                env=clean_env(), check=False)
        expect(p.returncode == 0 and "microseconds per spike" in p.stdout,
               "installed sparseprop run: exit %d %r" % (p.returncode, p.stderr))
    print("ok")


if __name__ == "__main__":
    main()
