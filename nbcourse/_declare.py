r"""The one mechanism behind :mod:`nbcourse.activations` and :mod:`nbcourse.losses`.

An activation or a loss is declared once: its formula, its analytic derivative(s), its
parameters with their defaults and its docstring, in one block of its module. From that
declaration this module derives what torch needs, the same way for both:

- :func:`analytic_function`: the :class:`torch.autograd.Function` whose ``backward`` evaluates the
  declared derivative and whose ``jvp`` (forward mode) does too. The derivative is written with
  ordinary, differentiable torch operations, so ``backward(create_graph=True)``, gradient penalties,
  Hessian-vector products, ``torch.autograd.gradgradcheck`` and ``torch.func`` (``grad``, ``vmap``,
  ``jacrev``, ``jacfwd``, ``hessian``) all see exact second derivatives: autograd differentiates
  the analytic first derivative.
- :class:`Declared`: the registry entry (a callable with ``name``, ``grad``, ``module``,
  ``function``), which pickles by name and shows its signature with the declared defaults.
- :func:`compute_dtype` and :func:`autocast_off`: the precision rule. Half-precision inputs
  (float16, bfloat16) are computed in float32, as torch's own kernels do internally ("opmath"), and
  rounded once at the end: no intermediate overflows (``e^{12}`` is already ``inf`` in float16).

Examples::

    >>> import torch
    >>> from nbcourse.activations import mish
    >>> z = torch.tensor([0.5], dtype=torch.float64, requires_grad=True)
    >>> (g,) = torch.autograd.grad(mish(z).sum(), z, create_graph=True)   # mish'(z), with a graph
    >>> (h,) = torch.autograd.grad(g.sum(), z)                            # mish''(z), exact
    >>> torch.allclose(h, torch.func.hessian(lambda t: torch.nn.functional.mish(t).sum())(z.detach())[0])
    True
"""

from __future__ import annotations

import contextlib
import inspect
import types
from typing import Any, Callable, Sequence

import torch

__all__ = ["HALF", "compute_dtype", "autocast_off", "analytic_function", "Declared"]

#: The half-precision dtypes, computed in float32 and rounded once at the end.
HALF = (torch.float16, torch.bfloat16)


def compute_dtype(dtype: torch.dtype) -> torch.dtype:
    """The dtype the arithmetic runs in: float32 for float16 and bfloat16, else ``dtype`` itself.

    Examples::

        >>> compute_dtype(torch.bfloat16), compute_dtype(torch.float64)
        (torch.float32, torch.float64)
    """
    return torch.float32 if dtype in HALF else dtype


def autocast_on(t: torch.Tensor) -> bool:
    """Whether ``torch.autocast`` is active for ``t``'s device (CPU, CUDA, ...)."""
    try:
        return torch.is_autocast_enabled(t.device.type)
    except (TypeError, RuntimeError):  # a device autocast does not know
        return False


def autocast_off(t: torch.Tensor):
    """A context that switches autocast off for ``t``'s device while a declared formula runs.

    The formulas pick their own precision (:func:`compute_dtype`); autocast would otherwise cast
    some operations inside them (``exp`` and ``log`` run in float32 on CUDA, ``matmul`` in half).
    Returns a null context when autocast is off anyway (the common case, and free).
    """
    if autocast_on(t):
        return torch.autocast(t.device.type, enabled=False)
    return contextlib.nullcontext()


# --------------------------------------------------------------------------------------------------
# the autograd Function, derived from a declaration
# --------------------------------------------------------------------------------------------------

def analytic_function(title: str, doc: str, *, forward: Callable, backward: Callable, jvp: Callable,
                      module: str) -> type[torch.autograd.Function]:
    """A :class:`torch.autograd.Function` named ``title`` from three rules of a declaration.

    Args:
        forward: ``forward(*args) -> (value, cache)``: the value, and a tuple of tensors the
            derivative may reuse (the softmax of cross-entropy, ...). ``args`` are the arguments of
            ``apply``: tensors, and numbers or other constants (kept, not saved).
        backward: ``backward(args, value, cache, grad_value, needs) -> grads``: one gradient (or
            None) per argument, ``needs[i]`` saying whether argument ``i`` wants one. The cached
            tensors carry no graph: when the backward pass is itself recorded
            (``torch.is_grad_enabled()``: ``create_graph=True``, ``torch.func``) the rule recomputes
            from ``args`` whatever it differentiates.
        jvp: ``jvp(args, value, tangents) -> tangent``: the forward-mode derivative, ``tangents[i]``
            the tangent of argument ``i`` (None where there is none).
        module: the module the class lives in (for pickling and ``help``).

    ``generate_vmap_rule`` is on: the rules are plain torch operations, so ``torch.func.vmap``
    batches them, and ``torch.func.grad``/``jacrev``/``jacfwd``/``hessian`` compose with them.
    """

    def _forward(*args):
        value, cache = forward(*args)
        return (value, *cache) if cache else value

    def setup_context(ctx, inputs, output):
        outputs = output if isinstance(output, tuple) else (output,)
        positions = [i for i, a in enumerate(inputs) if isinstance(a, torch.Tensor)]
        ctx.constants = [None if isinstance(a, torch.Tensor) else a for a in inputs]
        ctx.positions = positions
        tensors = [inputs[i] for i in positions] + list(outputs)
        ctx.save_for_backward(*tensors)
        ctx.save_for_forward(*tensors)
        if len(outputs) > 1:
            ctx.mark_non_differentiable(*outputs[1:])

    def _restore(ctx):
        saved = ctx.saved_tensors
        args = list(ctx.constants)
        for k, i in enumerate(ctx.positions):
            args[i] = saved[k]
        value, *cache = saved[len(ctx.positions):]
        return args, value, tuple(cache)

    def _backward(ctx, grad_value, *_cache_grads):
        args, value, cache = _restore(ctx)
        return tuple(backward(args, value, cache, grad_value, ctx.needs_input_grad))

    def _jvp(ctx, *tangents):
        args, value, cache = _restore(ctx)
        tangent = jvp(args, value, tangents)
        return (tangent, *(None for _ in cache)) if cache else tangent

    def body(namespace):
        namespace.update(
            __doc__=doc, __module__=module,
            forward=staticmethod(_forward), setup_context=staticmethod(setup_context),
            backward=staticmethod(_backward), jvp=staticmethod(_jvp),
            generate_vmap_rule=True,
        )

    # Function.apply binds its arguments with inspect.signature(forward) on every call: compute it once
    _forward.__signature__ = inspect.signature(_forward)
    # types.new_class runs torch's Function metaclass, which names the backward node (MishFunctionBackward)
    return types.new_class(title, (torch.autograd.Function,), exec_body=body)


def sum_to(grad: torch.Tensor, like: torch.Tensor) -> torch.Tensor:
    """``grad`` summed over the dimensions that ``like`` was broadcast along, in ``like``'s dtype."""
    if grad.shape != like.shape:
        grad = grad.sum_to_size(like.shape) if like.dim() else grad.sum()
    return grad.to(like.dtype)


# --------------------------------------------------------------------------------------------------
# the registry entry
# --------------------------------------------------------------------------------------------------

class Declared:
    """What a declaration becomes: a callable with its name, derivative, module and Function.

    Subclasses (:class:`nbcourse.activations.Activation`, :class:`nbcourse.losses.Loss`) define
    ``__call__`` and ``grad``. Each declared function is the one instance of its own subclass,
    whose docstring is the declaration's (so ``help(nbcourse.activations.mish)`` shows the formula).

    Attributes:
        name: the lowercase name, the key in the registry (``"leaky_relu"``, ``"cross_entropy"``).
        function: the :class:`torch.autograd.Function` (see :func:`analytic_function`).
        module: the :class:`torch.nn.Module` class over the function.
    """

    name: str = ""
    function: type[torch.autograd.Function]
    module: type

    def __reduce__(self) -> str:
        return self.name  # pickle and copy refer to the one instance, <package module>.<name>

    def __deepcopy__(self, memo):
        return self

    def __copy__(self):
        return self


def instance_of(declaration: type, base: type, namespace: dict[str, Any], sig: inspect.Signature):
    """The one instance of a new subclass of ``base`` carrying ``declaration``'s name and docstring.

    The docstring starts with the call signature (``mse(input, target, *, reduction='mean')``), which
    ``help`` would otherwise not show for an instance.
    """
    doc = f"{declaration.__name__}{sig}\n\n{inspect.cleandoc(declaration.__doc__ or '')}"
    cls = types.new_class(declaration.__name__, (base,), exec_body=lambda ns: ns.update(
        __doc__=doc, __module__=declaration.__module__,
        __qualname__=declaration.__qualname__, **namespace))
    instance = cls()
    instance.__signature__ = sig
    return instance


def signature(first: Sequence[str], params: dict[str, Any], keyword_only: dict[str, Any] | None = None):
    """An :class:`inspect.Signature`: positional ``first``, then ``params`` with defaults, then keywords."""
    P = inspect.Parameter
    parts = [P(n, P.POSITIONAL_OR_KEYWORD) for n in first]
    parts += [P(n, P.POSITIONAL_OR_KEYWORD, default=d) for n, d in params.items()]
    parts += [P(n, P.KEYWORD_ONLY, default=d) for n, d in (keyword_only or {}).items()]
    return inspect.Signature(parts)
