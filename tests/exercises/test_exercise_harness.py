"""The plain-data round trip between the student's kernel and the grader (nbcourse/exercises/_harness.py)."""

from __future__ import annotations

import json

import numpy as np
import pytest
import torch

from nbcourse.exercises import _harness


def roundtrip(value):
    return _harness.decode(json.loads(json.dumps(_harness.encode(value))))


@pytest.mark.parametrize("dtype", [np.float16, np.float32, np.float64, np.int64, np.uint8, np.bool_, np.complex128])
def test_numpy_arrays_keep_dtype_shape_and_bits(dtype):
    arr = (np.arange(12).reshape(3, 4) - 5).astype(dtype)
    back = roundtrip(arr)
    assert isinstance(back, np.ndarray) and back.dtype == arr.dtype and back.shape == arr.shape
    assert back.tobytes() == arr.tobytes()


def test_non_finite_values_survive():
    arr = np.array([np.nan, np.inf, -np.inf, -0.0, 1e-300], dtype=np.float64)
    back = roundtrip(arr)
    assert np.array_equal(back, arr, equal_nan=True) and np.signbit(back[3])
    assert np.isnan(roundtrip(float("nan"))) and roundtrip(float("-inf")) == float("-inf")


@pytest.mark.parametrize("dtype", [torch.float32, torch.float64, torch.bfloat16, torch.int32])
def test_tensors_come_back_as_tensors_of_the_same_dtype(dtype):
    t = torch.linspace(-3, 3, 6).to(dtype).reshape(2, 3)
    back = roundtrip(t.requires_grad_() if dtype.is_floating_point else t)
    assert isinstance(back, torch.Tensor) and back.dtype == dtype and back.shape == (2, 3)
    assert torch.equal(back, t.detach())


def test_scalars_and_containers():
    value = {"a": [1, 2.5, None, True], "b": (np.float32(1.5), "text"), 3: {"nested": np.int64(7)}}
    back = roundtrip(value)
    assert back["a"] == [1, 2.5, None, True] and isinstance(back["a"][0], int)
    assert isinstance(back["b"], tuple) and back["b"][0] == np.float32(1.5) and back["b"][0].dtype == np.float32
    assert back[3]["nested"] == 7
    assert roundtrip(2**80) == 2**80


def test_objects_are_described_never_rebuilt():
    class Evil:
        def __reduce__(self):  # pickling would run this; the harness never pickles
            raise AssertionError("unpickled")

        def __repr__(self):
            return "<Evil>"

    back = roundtrip(Evil())
    assert isinstance(back, _harness.Opaque) and back.type_name == "Evil" and repr(back) == "<Evil>"
    back = roundtrip(np.array(["a", "b"]))  # not numbers: described, not decoded
    assert isinstance(back, _harness.Opaque)


def test_decode_refuses_object_dtypes_and_unknown_kinds():
    with pytest.raises(ValueError, match="dtype"):
        _harness.decode({"kind": "numpy", "dtype": "|O", "shape": [1], "data": ""})
    with pytest.raises(ValueError, match="unknown kind"):
        _harness.decode({"kind": "pickle", "data": ""})


def test_call_cases_records_values_errors_and_stops_at_the_stub():
    cases = [{"args": _harness.encode((np.array([1.0, 2.0]),)), "kwargs": _harness.encode({})} for _ in range(3)]
    calls = []

    def answer(x):
        calls.append(1)
        if len(calls) == 2:
            raise ValueError("second call")
        return x * 3

    records = _harness.call_cases(answer, cases)
    assert [r["ok"] for r in records] == [True, False, True]
    assert records[1]["error"] == "ValueError" and records[1]["message"] == "second call"
    assert np.array_equal(_harness.decode(records[0]["value"]), [3.0, 6.0])

    def stub(x):
        raise NotImplementedError("demo: replace this line")

    records = _harness.call_cases(stub, cases)
    assert len(records) == 1 and records[0]["error"] == "NotImplementedError"


def test_each_case_gets_fresh_inputs():
    case = {"args": _harness.encode((np.zeros(3),)), "kwargs": _harness.encode({})}

    def mutating(x):
        x += 1  # in place: must not leak into the next call
        return x.copy()

    records = _harness.call_cases(mutating, [case, case])
    assert all(np.array_equal(_harness.decode(r["value"]), np.ones(3)) for r in records)


def test_warnings_are_reported_not_raised():
    case = {"args": _harness.encode((np.array([1000.0]),)), "kwargs": _harness.encode({})}
    (record,) = _harness.call_cases(lambda z: np.exp(z) / (1 + np.exp(z)), [case])
    assert record["ok"] and any("overflow" in w for w in record["warnings"])


def test_run_request_finds_the_answer_by_name_only():
    request = {"kind": "function", "answer": "f", "cases": [{"args": _harness.encode((1.0,)),
                                                               "kwargs": _harness.encode({})}]}
    assert _harness.run_request(request, {})["status"] == "missing"
    assert _harness.run_request(request, {"f": 3})["status"] == "not-callable"
    result = _harness.run_request(request, {"f": lambda x: x + 1})
    assert result["status"] == "ran" and _harness.decode(result["records"][0]["value"]) == 2.0
    data = _harness.run_request({"kind": "data", "answer": "lr"}, {"lr": 0.1})
    assert _harness.decode(data["answer"]) == 0.1
    call = _harness.run_request({"kind": "call", "answer": "f", "args": _harness.encode((2.0,)),
                                 "kwargs": _harness.encode({})}, {"f": lambda x: x * 3})
    assert _harness.decode(call["record"]["value"]) == 6.0


def test_harness_stands_alone_with_the_source_module():
    # it is executed inside the student's kernel from its text, after _source.py's text:
    # no import of nbcourse may be needed there (the kernel has no nbcourse.exercises)
    from nbcourse.exercises import _source

    namespace = {"__name__": "_nbcourse_grader"}
    exec(compile(open(_source.__file__, encoding="utf-8").read(), "source", "exec"), namespace)
    harness = open(_harness.__file__, encoding="utf-8").read()
    assert "import nbcourse" not in harness
    blocked = dict(namespace, __builtins__=dict(__builtins__ if isinstance(__builtins__, dict) else vars(__builtins__)))
    real_import = blocked["__builtins__"]["__import__"]

    def no_nbcourse(name, *args, **kwargs):
        assert not name.startswith("nbcourse"), name
        return real_import(name, *args, **kwargs)

    blocked["__builtins__"]["__import__"] = no_nbcourse
    exec(compile(harness, "harness", "exec"), blocked)
    out = []
    blocked["kernel_entry"]('{"kind": "data", "answer": "x"}', {"x": 3}, "N", out.append)
    assert out and "N<" in out[0]
