# Everything public has a docstring and type hints (issue #15): the classes and functions each
# module exports, and their public methods and properties.
import importlib
import inspect

import pytest

import sparseprop
import sparseprop.errors
import sparseprop.plot


def public_modules():
    mods = [sparseprop, sparseprop.errors, sparseprop.plot]
    try:
        mods.append(importlib.import_module("sparseprop.torch"))
    except ImportError:  # no PyTorch: that module is checked where it is installed
        pass
    return mods


def members():
    for mod in public_modules():
        names = getattr(mod, "__all__", [n for n in dir(mod) if not n.startswith("_")])
        for name in names:
            obj = getattr(mod, name)
            if inspect.isfunction(obj):
                yield f"{mod.__name__}.{name}", obj, True
            elif inspect.isclass(obj) and obj.__module__.startswith("sparseprop"):
                yield f"{mod.__name__}.{name}", obj, False
                for attr, value in vars(obj).items():
                    if attr.startswith("_") and attr != "__init__":
                        continue
                    if isinstance(value, property):
                        yield f"{mod.__name__}.{name}.{attr}", value.fget, True
                    elif isinstance(value, (classmethod, staticmethod)):
                        yield f"{mod.__name__}.{name}.{attr}", value.__func__, True
                    elif inspect.isfunction(value):
                        yield f"{mod.__name__}.{name}.{attr}", value, True


def test_everything_public_has_a_docstring_and_type_hints():
    missing = []
    checked = 0
    for qualname, obj, hinted in members():
        checked += 1
        if not (obj.__doc__ or "").strip():
            missing.append(f"{qualname}: no docstring")
        if not hinted:
            continue
        sig = inspect.signature(obj)
        bare = [p for p, v in sig.parameters.items()
                if v.annotation is inspect.Parameter.empty and p not in ("self", "cls")]
        if bare:
            missing.append(f"{qualname}: no type hint for {', '.join(bare)}")
        if sig.return_annotation is inspect.Signature.empty:
            missing.append(f"{qualname}: no return type")
    assert checked > 60  # 74 when written
    assert not missing, "\n".join(missing)


def test_the_torch_module_is_checked_where_torch_is_installed():
    pytest.importorskip("torch", reason="python3-torch is not installed")
    assert importlib.import_module("sparseprop.torch") in public_modules()
