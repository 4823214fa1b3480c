"""Value comparison: what a student's output is, how close it must be, and how to say where it differs.

Runs in the judging process only (the student's process for :func:`nbcourse.check`, the
grader's for ``nbcourse grade``); numpy and torch are imported when a value needs them.
"""

from __future__ import annotations

import sys

from nbcourse.exercises import _harness


class _NoTorch:
    """Stands for torch when no one imported it: no value can be a tensor then."""

    class Tensor:
        pass


def _torch():
    return sys.modules.get("torch") or _NoTorch

# (rtol, atol) by the lowest floating precision among a case's inputs
DEFAULT_TOLERANCES = {
    "float16": (1e-2, 1e-3),
    "bfloat16": (2e-2, 1e-2),
    "float32": (1e-4, 1e-6),
    "float64": (1e-6, 1e-9),
}



def _promote(value):
    """Floating inputs in float64, so references compute the truth, not a rounded copy."""
    import numpy as np

    torch = _torch()

    if isinstance(value, torch.Tensor) and value.is_floating_point():
        return value.detach().to(torch.float64)
    if isinstance(value, np.ndarray) and value.dtype.kind == "f":
        return value.astype(np.float64)
    if isinstance(value, np.floating):
        return np.float64(value)
    if isinstance(value, (list, tuple)):
        return type(value)(_promote(v) for v in value)
    if isinstance(value, dict):
        return {k: _promote(v) for k, v in value.items()}
    return value


def _as_float64(value):
    """``value`` as a float64 numpy array, or ``None`` when it is not numeric."""
    import numpy as np

    torch = _torch()

    if isinstance(value, torch.Tensor):
        value = value.detach().cpu().to(torch.float64).numpy()
    if isinstance(value, _harness.Opaque) or value is None or isinstance(value, (str, dict)):
        return None
    try:
        arr = np.asarray(value)
    except Exception:
        return None
    if arr.dtype.kind not in "biuf":
        return None
    return arr.astype(np.float64)


def _precision(values) -> str:
    """The lowest floating precision among ``values`` (float64 when none is floating)."""
    import numpy as np

    torch = _torch()

    order = ["bfloat16", "float16", "float32", "float64"]
    found = "float64"
    stack = list(values)
    while stack:
        v = stack.pop()
        if isinstance(v, (list, tuple)):
            stack.extend(v)
            continue
        if isinstance(v, dict):
            stack.extend(v.values())
            continue
        name = None
        if isinstance(v, torch.Tensor) and v.is_floating_point():
            name = str(v.dtype).replace("torch.", "")
        elif isinstance(v, (np.ndarray, np.floating)) and np.asarray(v).dtype.kind == "f":
            name = str(np.asarray(v).dtype)
        if name in order and order.index(name) < order.index(found):
            found = name
    return found


def _describe_value(value) -> str:
    import numpy as np

    torch = _torch()

    if isinstance(value, torch.Tensor):
        return f"a torch {str(value.dtype).replace('torch.', '')} tensor of shape {tuple(value.shape)}"
    if isinstance(value, np.ndarray):
        if value.ndim == 0:
            return f"a 0-d numpy {value.dtype} array ({value.item()!r})"
        return f"a numpy {value.dtype} array of shape {value.shape}"
    if isinstance(value, np.generic):
        return f"numpy {value.dtype} {value.item()!r}"
    if isinstance(value, _harness.Opaque):
        return f"a {value.type_name} ({value.text[:80]})"
    if isinstance(value, (bool, int, float)) or value is None:
        return repr(value)
    text = repr(value)
    return f"a {type(value).__name__} {text[:80]}"


def _short(x: float) -> str:
    """A number as a student reads it: enough digits to see the difference."""
    if x != x:
        return "nan"
    if x in (float("inf"), float("-inf")):
        return "inf" if x > 0 else "-inf"
    return f"{x:.10g}"


def _element(value, index, shape):
    """The element of an input that corresponds to ``index`` of an output of ``shape``."""
    import numpy as np

    arr = _as_float64(value)
    if arr is None:
        return None
    try:
        return float(np.broadcast_to(arr, shape)[index])
    except ValueError:
        return None


def _a(noun: str) -> str:
    """``noun`` with its article: "an int", "a list"."""
    return ("an " if noun[:1].lower() in "aeiou" else "a ") + noun


def _error_hint(error: str, text: str) -> str:
    if "length-1" in text or "size-1" in text or "only 0-dimensional" in text:
        return "The math module works on single numbers only: use np.exp / np.log (or torch) to work on arrays."
    if error == "NameError":
        return "A name your function uses is not defined: import it (e.g. `import numpy as np`) or run the cell that defines it."
    if error == "TypeError" and "unexpected keyword" in text:
        return "Check the function's signature: it must accept the arguments named in the exercise."
    return ""
