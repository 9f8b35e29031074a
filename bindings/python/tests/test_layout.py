# The ctypes mirrors against the C compiler's view of include/sparseprop/sparseprop.h.
import ctypes
import re
import subprocess

import numpy as np

from sparseprop import _capi

from conftest import REPO_ROOT

STRUCTS = {
    "sp_synapses": _capi.Synapses,
    "sp_allocator": _capi.Allocator,
    "sp_spike": _capi.Spike,
    "sp_network_desc": _capi.NetworkDesc,
    "sp_model_params": _capi.ModelParams,
}


def c_layout(c_program):
    out = subprocess.run([str(c_program("layout"))], check=True, capture_output=True,
                         text=True).stdout
    facts = {}
    for line in out.splitlines():
        kind, name, value = line.split()
        facts[(kind, name)] = int(value)
    return facts


def test_struct_sizes_and_offsets_match_the_c_compiler(c_program):
    facts = c_layout(c_program)
    checked = 0
    for cname, cls in STRUCTS.items():
        assert ctypes.sizeof(cls) == facts[("sizeof", cname)], cname
        for field, *_ in cls._fields_:
            assert getattr(cls, field).offset == facts[("offsetof", f"{cname}.{field}")], \
                f"{cname}.{field}"
            checked += 1
    # Every field the C program prints is mirrored (a new C field must be added here too).
    c_fields = [k for k in facts if k[0] == "offsetof"]
    assert checked == len(c_fields)


def test_enum_arguments_and_constants_match(c_program):
    facts = c_layout(c_program)
    assert ctypes.sizeof(_capi.c_enum) == facts[("sizeof", "sp_status")]
    assert ctypes.sizeof(_capi.c_enum) == facts[("sizeof", "sp_param")]
    consts = {name: v for (kind, name), v in facts.items() if kind == "const"}
    assert len(consts) == 23
    for name, value in consts.items():
        assert getattr(_capi, name) == value, name


def test_spike_dtype_is_sp_spike(c_program):
    facts = c_layout(c_program)
    assert _capi.SPIKE_DTYPE.itemsize == facts[("sizeof", "sp_spike")]
    for field in ("t", "neuron", "flags"):
        assert _capi.SPIKE_DTYPE.fields[field][1] == facts[("offsetof", f"sp_spike.{field}")]
    assert _capi.SPIKE_DTYPE.fields["t"][0] == np.dtype("<f8")
    assert _capi.SPIKE_DTYPE.fields["neuron"][0] == np.dtype("<u4")


def _c_class(decl, typedefs):
    """The ABI class of a C declaration's type ("sp_network *net", "SP_API double"): "ptr" for
    a pointer of any type, else (kind, bytes) of the scalar (typedefs resolved)."""
    if "*" in decl:
        return "ptr"
    words = [w for w in decl.split() if w not in ("const", "SP_API")]
    ty = typedefs.get(words[0], words[0])
    return {"double": ("float", 8), "float": ("float", 4),
            "size_t": ("uint", ctypes.sizeof(ctypes.c_size_t)), "uint32_t": ("uint", 4),
            "uint64_t": ("uint", 8), "int32_t": ("int", 4), "void": "void"}[ty]


def header_functions():
    """name -> [return class, parameter classes...], from every SP_API declaration in the
    public header."""
    text = (REPO_ROOT / "include" / "sparseprop" / "sparseprop.h").read_text()
    text = re.sub(r"/\*.*?\*/", " ", text, flags=re.S)
    typedefs = dict((alias, base) for base, alias in
                    re.findall(r"typedef\s+(u?int\d+_t)\s+(sp_\w+)\s*;", text))
    found = {}
    for m in re.finditer(r"(SP_API\s+[^;{(]*?)\b(sp_\w+)\s*\(([^)]*)\)\s*SP_NOEXCEPT\s*;", text):
        params = m.group(3).strip()
        classes = [_c_class(m.group(1), typedefs)]
        if params not in ("", "void"):
            classes += [_c_class(p, typedefs) for p in params.split(",")]
        found[m.group(2)] = classes
    return found


def _ctypes_class(t):
    """The ABI class of a ctypes type as FUNCTIONS declares it (None: void), as _c_class's."""
    if t is None:
        return "void"
    if issubclass(t, ctypes._Pointer) or t._type_ in ("P", "z"):
        return "ptr"
    kind = "float" if t._type_ in ("f", "d") else "uint" if t._type_.isupper() else "int"
    return (kind, ctypes.sizeof(t))


def test_every_header_function_is_declared_with_its_types():
    """Each function's return and parameter types against the header's, by ABI class (a
    pointer, or a scalar's width, signedness and kind): a size_t passed as a uint32, or a
    double returned as a float, fails here."""
    header = header_functions()
    assert len(header) >= 29
    assert set(header) == set(_capi.FUNCTIONS), \
        f"missing: {set(header) - set(_capi.FUNCTIONS)}, extra: {set(_capi.FUNCTIONS) - set(header)}"
    for name, classes in header.items():
        restype, argtypes = _capi.FUNCTIONS[name]
        ours = [_ctypes_class(restype)] + [_ctypes_class(t) for t in argtypes]
        assert ours == classes, f"{name}: the binding has {ours}, the header {classes}"


def test_the_type_check_tells_types_apart():
    # What the check compares tells a narrower, a signed or a float type from the header's.
    assert _ctypes_class(ctypes.c_uint32) != _ctypes_class(ctypes.c_size_t)
    assert _ctypes_class(ctypes.c_int32) != _ctypes_class(ctypes.c_uint32)
    assert _ctypes_class(ctypes.c_float) != _ctypes_class(ctypes.c_double)
    assert _ctypes_class(_capi.c_enum) == _c_class("sp_status s", {"sp_status": "int32_t"})
    assert _ctypes_class(ctypes.POINTER(ctypes.c_double)) == _c_class("double *v", {})


def test_struct_size_is_what_desc_init_leaves():
    d = _capi.NetworkDesc()
    _capi.lib.sp_network_desc_init(ctypes.byref(d), ctypes.sizeof(d))
    assert d.struct_size == ctypes.sizeof(_capi.NetworkDesc)
    assert d.model == _capi.SP_MODEL_LIF and d.tau == 0.01 and d.input_capacity == 4096
