"""Calling a student's answer and turning what it returns into plain data.

This module is the part of checking that runs *next to the student's code*: in the
student's own process for :func:`nbcourse.check`, and inside the submission's kernel when
``nbcourse grade`` grades a notebook.  In the kernel it is not imported (the kernel has no
``nbcourse.exercises``): the grader sends the text of :mod:`nbcourse.exercises._source`
and of this file and executes them in a private namespace.  It therefore imports nothing
from ``nbcourse`` there and only the standard library at module level (numpy and torch
are taken from ``sys.modules`` or imported when a value needs them).  It never holds an
expected value: it calls the answer, watches which functions it calls (the run-time part
of the forbidden-function rule) and sends back what it returned.

Values cross between processes as JSON: numbers, strings, lists and dicts as themselves,
arrays and tensors as their dtype, shape and raw bytes in base64.  Decoding never
unpickles and never calls code named by the data.
"""

from __future__ import annotations

import base64
import importlib
import importlib.util
import json
import sys
import warnings

if "resolved_uses" not in globals():  # inside a kernel the grader defines it from _source.py's text
    from nbcourse.exercises._source import resolved_uses

# what one answer may send back; beyond that the answer is refused, not the grader
MAX_ARRAY_BYTES = 16 * 2**20
MAX_TEXT = 2000
MAX_ITEMS = 10000
MAX_DEPTH = 20
# numpy dtype kinds that decode safely from raw bytes: bool, int, uint, float, complex
_NUMERIC_KINDS = "biufc"


def _np():
    return sys.modules.get("numpy") or importlib.import_module("numpy")


def _torch():
    return sys.modules.get("torch") or importlib.import_module("torch")


def _encode_array(arr) -> dict:
    np = _np()
    arr = np.asarray(arr)
    # ascontiguousarray alone would turn a 0-d array (a scalar answer) into shape (1,)
    arr = np.ascontiguousarray(arr).reshape(arr.shape)
    if arr.dtype.kind not in _NUMERIC_KINDS:
        raise TypeError(f"an array of dtype {arr.dtype} (only numbers can be checked)")
    if arr.nbytes > MAX_ARRAY_BYTES:
        raise ValueError(f"an array of {arr.nbytes} bytes (at most {MAX_ARRAY_BYTES} are accepted)")
    return {
        "dtype": arr.dtype.str,
        "shape": list(arr.shape),
        "data": base64.b64encode(arr.tobytes()).decode("ascii"),
    }


def encode(value, _depth: int = 0) -> dict:
    """Describe ``value`` as JSON-ready plain data (see :func:`decode`).

    Numbers, strings, ``None``, numpy arrays and scalars, torch tensors, and lists,
    tuples and dicts of those are kept exactly; anything else becomes its type name and
    a short ``repr`` (enough for a message, not enough to rebuild it).
    """
    if _depth > MAX_DEPTH:
        return {"kind": "object", "type": type(value).__name__, "repr": "(nested too deeply)"}
    if value is None:
        return {"kind": "none"}
    if isinstance(value, bool):
        return {"kind": "bool", "value": value}
    if isinstance(value, int):
        return {"kind": "int", "value": str(value)}
    if isinstance(value, float):
        return {"kind": "float", "value": value}
    if isinstance(value, complex):
        return {"kind": "complex", "value": [value.real, value.imag]}
    if isinstance(value, str):
        return {"kind": "str", "value": value[:MAX_TEXT]}
    np = sys.modules.get("numpy")
    torch = sys.modules.get("torch")
    try:
        if torch is not None and isinstance(value, torch.Tensor):
            t = value.detach().cpu()
            dtype = str(t.dtype).replace("torch.", "")
            if t.dtype == torch.bfloat16:
                t = t.float()
            return {"kind": "tensor", "torch_dtype": dtype, **_encode_array(t.resolve_conj().resolve_neg().numpy())}
        if np is not None and isinstance(value, np.ndarray):
            return {"kind": "numpy", **_encode_array(value)}
        if np is not None and isinstance(value, np.generic):
            return {"kind": "numpy_scalar", **_encode_array(np.asarray(value))}
    except (TypeError, ValueError) as error:
        return {"kind": "object", "type": type(value).__name__, "repr": str(error)[:MAX_TEXT]}
    if isinstance(value, (list, tuple)):
        if len(value) > MAX_ITEMS:
            return {"kind": "object", "type": type(value).__name__, "repr": f"(a {type(value).__name__} of {len(value)} items)"}
        kind = "list" if isinstance(value, list) else "tuple"
        return {"kind": kind, "items": [encode(v, _depth + 1) for v in value]}
    if isinstance(value, dict):
        if len(value) > MAX_ITEMS:
            return {"kind": "object", "type": "dict", "repr": f"(a dict of {len(value)} items)"}
        return {"kind": "dict", "items": [[encode(k, _depth + 1), encode(v, _depth + 1)] for k, v in value.items()]}
    try:
        text = repr(value)
    except Exception:  # a student's object whose repr fails is still described
        text = "(repr failed)"
    return {"kind": "object", "type": type(value).__name__, "repr": text[:MAX_TEXT]}


def _decode_array(data: dict):
    np = _np()
    dtype = np.dtype(str(data["dtype"]))
    if dtype.kind not in _NUMERIC_KINDS:
        raise ValueError(f"refusing to decode an array of dtype {dtype}")
    shape = tuple(int(n) for n in data["shape"])
    raw = base64.b64decode(data["data"])
    if len(raw) > MAX_ARRAY_BYTES:
        raise ValueError("refusing to decode an array that large")
    return np.frombuffer(raw, dtype=dtype).reshape(shape).copy()


def decode(data: dict, _depth: int = 0):
    """Rebuild the value :func:`encode` described; objects come back as :class:`Opaque`."""
    if _depth > MAX_DEPTH + 1:
        raise ValueError("refusing to decode data nested that deeply")
    kind = data["kind"]
    if kind == "none":
        return None
    if kind == "bool":
        return bool(data["value"])
    if kind == "int":
        return int(str(data["value"])[:MAX_TEXT])
    if kind == "float":
        return float(data["value"])
    if kind == "complex":
        return complex(float(data["value"][0]), float(data["value"][1]))
    if kind == "str":
        return str(data["value"])
    if kind == "numpy":
        return _decode_array(data)
    if kind == "numpy_scalar":
        return _decode_array(data)[()]
    if kind == "tensor":
        torch = _torch()
        tensor = torch.from_numpy(_decode_array(data))
        dtype = getattr(torch, str(data.get("torch_dtype", "")), None)
        if isinstance(dtype, torch.dtype) and dtype != tensor.dtype:
            tensor = tensor.to(dtype)
        return tensor
    if kind in ("list", "tuple"):
        items = [decode(item, _depth + 1) for item in data["items"]]
        return items if kind == "list" else tuple(items)
    if kind == "dict":
        return {decode(k, _depth + 1): decode(v, _depth + 1) for k, v in data["items"]}
    if kind == "object":
        return Opaque(str(data.get("type", "?")), str(data.get("repr", "")))
    raise ValueError(f"unknown kind of value {kind!r}")


class Opaque:
    """Stands for a value that was not plain data (its type name and ``repr``)."""

    def __init__(self, type_name: str, text: str):
        self.type_name = type_name
        self.text = text

    def __repr__(self):
        return self.text


def _error(error: BaseException) -> dict:
    return {"ok": False, "error": type(error).__name__, "message": str(error)[:MAX_TEXT]}


class _Tracer:
    """Watches the calls an answer makes, at any depth, for functions whose name is forbidden.

    ``sys.setprofile`` reports every Python function and every builtin (``torch.tanh``,
    ``math.tanh``) that is called; numpy's ufuncs (``np.tanh``) are not functions and are
    not reported, so while the answer runs the forbidden ones are replaced in the numpy
    module by a wrapper that reports itself (a ufunc the answer saved under another name
    before the call is found by :func:`resolved_uses` instead).
    """

    def __init__(self, forbidden):
        self.forbidden = frozenset(str(f) for f in forbidden)
        self.found = set()
        self._patched = []

    def _profile(self, frame, event, arg):
        if event == "call":
            name = frame.f_code.co_name
            if name in self.forbidden:
                module = frame.f_globals.get("__name__", "")
                self.found.add(f"{module}.{name}" if module and not module.startswith("__") else name)
        elif event == "c_call":
            name = getattr(arg, "__name__", None)
            if name in self.forbidden:
                owner = getattr(arg, "__module__", None) or type(getattr(arg, "__self__", None)).__name__
                self.found.add(f"{owner}.{name}" if owner else name)

    def __enter__(self):
        if not self.forbidden:
            return self
        np = sys.modules.get("numpy")
        if np is not None:
            for name in self.forbidden:
                original = getattr(np, name, None)
                if original is not None and type(original).__name__ == "ufunc":
                    self._patched.append((np, name, original))
                    setattr(np, name, self._wrap(original, f"numpy.{name}"))
        self._previous = sys.getprofile()
        sys.setprofile(self._profile)
        return self

    def _wrap(self, original, label):
        found = self.found

        def reported(*args, **kwargs):
            found.add(label)
            return original(*args, **kwargs)

        reported.__name__ = "_nbcourse_reported"  # the profiler must not report the wrapper twice
        return reported

    def __exit__(self, *exc):
        if not self.forbidden:
            return False
        sys.setprofile(self._previous)
        for module, name, original in self._patched:
            setattr(module, name, original)
        self._patched = []
        return False


def call_cases(answer, cases: list, *, tracer: _Tracer | None = None) -> list:
    """Call ``answer`` on each encoded case; return one plain-data record per case.

    Each case is decoded afresh, so an answer that changes its input in place cannot
    change the next case.  A ``NotImplementedError`` (the released stub) stops the run:
    the exercise is not answered yet.  With a ``tracer`` the calls are watched.
    """
    records = []
    for case in cases:
        args = decode(case["args"])
        kwargs = decode(case["kwargs"])
        record = call_once(answer, args, kwargs, tracer=tracer)
        records.append(record)
        if not record["ok"] and record["error"] == "NotImplementedError":
            break
    return records


def call_once(answer, args, kwargs, *, tracer: _Tracer | None = None) -> dict:
    """One call of ``answer``: ``{"ok": True, "value": ...}`` or the error, as plain data."""
    try:
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            np = sys.modules.get("numpy")
            with (tracer if tracer is not None else _Tracer(())):
                if np is not None:
                    with np.errstate(over="warn", divide="warn", invalid="warn", under="ignore"):
                        value = answer(*args, **kwargs)
                else:
                    value = answer(*args, **kwargs)
    except Exception as error:
        return _error(error)
    record = {"ok": True, "value": encode(value)}
    if caught:
        record["warnings"] = sorted({f"{w.category.__name__}: {w.message}"[:200] for w in caught})[:3]
    return record


def run_cases(answer, cases: list, forbidden=()) -> dict:
    """The cases' records and the forbidden functions the answer reached (parts 2 and 3 of the rule)."""
    tracer = _Tracer(forbidden)
    records = call_cases(answer, cases, tracer=tracer)
    return {"records": records, "traced": sorted(tracer.found),
            "resolved": resolved_uses(answer, forbidden) if forbidden else []}


def run_request(request: dict, namespace: dict) -> dict:
    """What one grader request asks of the submission's namespace, as plain data.

    ``{"kind": "function", "answer": NAME, "cases": [...], "forbidden": [...]}`` calls the
    answer on every case; ``{"kind": "call", "answer": NAME, "args": ..., "kwargs": ...}``
    calls it once (a behaviour measured by the grader); ``{"kind": "data", "answer": NAME}``
    sends the answer's value; ``{"kind": "probe", "answer": NAME}`` only says whether it
    is there and callable.  Nothing else about the exercise is sent to the kernel.
    """
    answer_name = request["answer"]
    if answer_name not in namespace:
        return {"status": "missing"}
    answer = namespace[answer_name]
    if answer is Ellipsis:  # the released stub's placeholder
        return {"status": "not-answered"}
    kind = request["kind"]
    if kind == "data":
        return {"status": "ran", "answer": encode(answer)}
    if not callable(answer):
        return {"status": "not-callable", "type": type(answer).__name__, "repr": encode(answer)}
    if kind == "probe":  # a behaviour measured by the grader: is there a function to call?
        return {"status": "ran"}
    if kind == "call":
        record = call_once(answer, decode(request["args"]), decode(request["kwargs"]))
        return {"status": "ran", "record": record}
    return {"status": "ran", **run_cases(answer, request["cases"], request.get("forbidden", ()))}


def kernel_entry(request_json: str, namespace: dict, nonce: str, write) -> None:
    """What the grader's cell calls inside the kernel: run one request, print its JSON between markers."""
    try:
        result = run_request(json.loads(request_json), namespace)
    except Exception as error:  # the harness itself failed (a patched module): the grader says so
        result = {"status": "harness-error", "error": _error(error)}
    write(f"\n{nonce}<{json.dumps(result)}>{nonce}\n")
