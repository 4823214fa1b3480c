"""Source inspection: which forbidden functions an answer's code names.

An exercise may forbid functions (``forbidden=("tanh",)``: write tanh from exp, do not
call it).  One rule decides, in :func:`nbcourse.check` and in ``nbcourse grade`` alike;
it has three parts, and an answer breaks the rule when any part finds a use:

1. **spelled** (this module, :func:`notebook_uses`): the definition of the answer, and of
   every notebook function or name it refers to, is read from the notebook's code cells
   (in the order they ran; the last definition of a name wins, wherever it sits: inside an
   ``if``, after an ``import`` ...).  A forbidden name written as a name (``tanh``), an
   attribute (``np.tanh``) or imported under another name (``from numpy import tanh as
   th``, in any cell) is a use.  The grader reads the submitted notebook's text itself, so
   nothing the notebook does at run time changes this part.
2. **resolved** (:func:`resolved_uses`, run next to the answer): every global the answer's
   code (and its notebook helpers') refers to, its default arguments and closure cells,
   are looked up; an object whose ``__name__`` is forbidden is a use (``th = np.tanh``,
   ``t = getattr(np, "tanh")``).
3. **traced** (:mod:`nbcourse.exercises._harness`): while the answer runs on the test
   inputs, every call it makes, at any depth, is watched; a call of a function whose name
   is forbidden is a use (a public wrapper that calls the forbidden function counts).

This module needs only the standard library: the grader also runs it inside a
submission's kernel, from this file's text.
"""

from __future__ import annotations

import ast
import inspect
import textwrap

__all__ = ["forbidden_uses", "notebook_uses", "resolved_uses", "source_of", "called_names"]


def _parse(source: str):
    """Parse a cell's code, ignoring IPython magics and shell lines; ``None`` when it does not parse."""
    lines = ["pass" if line.lstrip().startswith(("%", "!")) else line for line in str(source).splitlines()]
    try:
        return ast.parse(textwrap.dedent("\n".join(lines)))
    except (SyntaxError, ValueError):
        return None


def called_names(source: str) -> set:
    tree = _parse(source)
    if tree is None:
        return set()
    return {n.func.id for n in ast.walk(tree) if isinstance(n, ast.Call) and isinstance(n.func, ast.Name)}


def forbidden_uses(source: str, forbidden) -> list:
    """The uses of names in ``forbidden`` spelled in ``source`` (``np.tanh``, ``tanh``, an import)."""
    tree = _parse(source)
    if tree is None:
        return []
    forbidden = set(forbidden)
    found = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Attribute) and node.attr in forbidden:
            found.add(ast.unparse(node))
        elif isinstance(node, ast.Name) and node.id in forbidden:
            found.add(node.id)
        elif isinstance(node, ast.alias) and node.name.split(".")[-1] in forbidden:
            found.add(node.name)
    return sorted(found)


def _module_level(statements):
    """The statements run at a cell's top level: inside ``if``/``for``/``while``/``try``/``with``
    blocks too, never inside a function or class body (their names are local)."""
    for statement in statements:
        yield statement
        blocks = []
        if isinstance(statement, (ast.If, ast.For, ast.AsyncFor, ast.While)):
            blocks = [statement.body, statement.orelse]
        elif isinstance(statement, (ast.With, ast.AsyncWith)):
            blocks = [statement.body]
        elif isinstance(statement, ast.Try) or type(statement).__name__ == "TryStar":
            blocks = [statement.body, statement.orelse, statement.finalbody] + [h.body for h in statement.handlers]
        for block in blocks:
            yield from _module_level(block)


def _definitions(sources) -> tuple:
    """``(definitions, aliases)`` of a sequence of cell sources, in order.

    ``definitions`` maps a global name to ``(source, free names)`` of its last definition
    (a ``def`` or ``class``, including inside ``if``/``try``/``with``, or an assignment to
    that name); ``aliases`` maps a name bound by an import to the imported name.
    """
    definitions, aliases = {}, {}
    for source in sources:
        tree = _parse(source)
        if tree is None:
            continue
        for node in _module_level(tree.body):
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
                definitions[node.name] = (ast.unparse(node), _free_names(node))
            elif isinstance(node, (ast.Assign, ast.AnnAssign, ast.AugAssign)):
                targets = node.targets if isinstance(node, ast.Assign) else [node.target]
                value = getattr(node, "value", None)
                loads = _free_names(value) if value is not None else set()
                for target in targets:
                    for leaf in ast.walk(target):
                        if isinstance(leaf, ast.Name):
                            text, names = ("", set())
                            if isinstance(node, ast.AugAssign) and leaf.id in definitions:
                                text, names = definitions[leaf.id]
                            definitions[leaf.id] = ((text + "\n" + ast.unparse(node)).strip(), names | loads)
            elif isinstance(node, (ast.Import, ast.ImportFrom)):
                for alias in node.names:
                    bound = alias.asname or alias.name.split(".")[0]
                    aliases[bound] = alias.name.split(".")[-1] if alias.asname or isinstance(node, ast.ImportFrom) else bound
    return definitions, aliases


def _free_names(node) -> set:
    """Names ``node`` reads that it does not bind itself (its arguments and local variables)."""
    if node is None:
        return set()
    loads = {n.id for n in ast.walk(node) if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Load)}
    bound = {n.id for n in ast.walk(node) if isinstance(n, ast.Name) and isinstance(n.ctx, (ast.Store, ast.Del))}
    for inner in ast.walk(node):
        if isinstance(inner, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda)):
            arguments = inner.args
            bound |= {a.arg for a in arguments.posonlyargs + arguments.args + arguments.kwonlyargs}
            bound |= {a.arg for a in (arguments.vararg, arguments.kwarg) if a is not None}
        if isinstance(inner, (ast.Import, ast.ImportFrom)):
            bound |= {a.asname or a.name.split(".")[0] for a in inner.names}
    if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
        bound.discard(node.name)
    return loads - bound


def notebook_uses(sources, answer: str, forbidden) -> list:
    """Part 1 of the rule: forbidden names that the definition of ``answer`` reaches in ``sources``.

    ``sources`` are the code cells in the order they ran.  The answer's definition is read,
    then the definitions of the notebook's global names it reads, recursively; a name bound
    by an import of a forbidden function (``from numpy import tanh as th``) counts wherever
    the import is.
    """
    forbidden = set(forbidden)
    if not forbidden:
        return []
    definitions, aliases = _definitions(sources)
    found, seen, todo = set(), set(), [answer]
    while todo:
        name = todo.pop()
        if name in seen:
            continue
        seen.add(name)
        if name in aliases and aliases[name] in forbidden:
            found.add(name if name == aliases[name] else f"{name} (imported {aliases[name]})")
        if name not in definitions:
            continue
        source, free = definitions[name]
        found.update(forbidden_uses(source, forbidden))
        todo += sorted(free)
    return sorted(found)


def _codes(code):
    yield code
    for const in code.co_consts:
        if inspect.iscode(const):
            yield from _codes(const)


def _reached_functions(answer) -> list:
    """``answer`` and the functions of its own module that it refers to, recursively."""
    out, seen, todo = [], set(), [answer]
    while todo:
        fn = todo.pop()
        if id(fn) in seen or not inspect.isfunction(fn):
            continue
        seen.add(id(fn))
        out.append(fn)
        for code in _codes(fn.__code__):
            for name in code.co_names:
                other = fn.__globals__.get(name)
                if inspect.isfunction(other) and other.__module__ == fn.__module__:
                    todo.append(other)
        for cell in fn.__closure__ or ():
            try:
                other = cell.cell_contents
            except ValueError:  # an empty cell
                continue
            if inspect.isfunction(other) and other.__module__ == fn.__module__:
                todo.append(other)
    return out


def resolved_uses(answer, forbidden) -> list:
    """Part 2 of the rule: objects with a forbidden ``__name__`` that the answer's code can reach by name."""
    forbidden = set(forbidden)
    if not forbidden:
        return []
    if not inspect.isfunction(answer):  # a builtin or ufunc given as the answer itself
        name = getattr(answer, "__name__", None)
        return [name] if name in forbidden else []
    found = set()

    def look(label, value):
        name = getattr(value, "__name__", None)
        if isinstance(name, str) and name in forbidden and callable(value):
            found.add(label if label == name else f"{label} (which is {name})")

    for fn in _reached_functions(answer):
        for code in _codes(fn.__code__):
            for name in code.co_names:
                if name in fn.__globals__:
                    look(name, fn.__globals__[name])
        for value in list(fn.__defaults__ or ()) + list((fn.__kwdefaults__ or {}).values()):
            look("a default argument", value)
        for var, cell in zip(fn.__code__.co_freevars, fn.__closure__ or ()):
            try:
                look(var, cell.cell_contents)
            except ValueError:  # an empty cell
                pass
    return sorted(found)


def source_of(answer) -> str | None:
    """The source of ``answer`` and of the notebook functions it refers to (for messages and part 1)."""
    if not inspect.isfunction(answer):
        name = getattr(answer, "__name__", None)
        return name if isinstance(name, str) and name.isidentifier() else None
    pieces = []
    for fn in _reached_functions(answer):
        try:
            pieces.append(textwrap.dedent(inspect.getsource(fn)))
        except (OSError, TypeError):
            continue
    return "\n\n".join(pieces) or None
