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


def header_functions():
    """name -> number of parameters, from every SP_API declaration in the public header."""
    text = (REPO_ROOT / "include" / "sparseprop" / "sparseprop.h").read_text()
    text = re.sub(r"/\*.*?\*/", " ", text, flags=re.S)
    found = {}
    for m in re.finditer(r"SP_API\s+[^;{]*?\b(sp_\w+)\s*\(([^)]*)\)\s*SP_NOEXCEPT\s*;", text):
        params = m.group(2).strip()
        found[m.group(1)] = 0 if params in ("", "void") else params.count(",") + 1
    return found


def test_every_header_function_is_declared_with_its_arity():
    header = header_functions()
    assert len(header) >= 29
    assert set(header) == set(_capi.FUNCTIONS), \
        f"missing: {set(header) - set(_capi.FUNCTIONS)}, extra: {set(_capi.FUNCTIONS) - set(header)}"
    for name, arity in header.items():
        assert len(_capi.FUNCTIONS[name][1]) == arity, name


def test_struct_size_is_what_desc_init_leaves():
    d = _capi.NetworkDesc()
    _capi.lib.sp_network_desc_init(ctypes.byref(d), ctypes.sizeof(d))
    assert d.struct_size == ctypes.sizeof(_capi.NetworkDesc)
    assert d.model == _capi.SP_MODEL_LIF and d.tau == 0.01 and d.input_capacity == 4096
