"""The registry: exercises by name, chapter modules imported on demand, private test folders."""

from __future__ import annotations

import difflib
import importlib
import importlib.util
import pkgutil
from pathlib import Path

from nbcourse.exercises._exercise import _Exercise

class Registry:
    """Exercises by name; a chapter's module is imported the first time one of its names is asked for."""

    package = "nbcourse.exercises"

    def __init__(self):
        self._exercises: dict = {}
        self._overrides: set = set()
        self._loaded: set = set()
        self._test_files: set = set()

    def register(self, exercise: _Exercise, *, replace: bool = False) -> _Exercise:
        """Add ``exercise``; ``replace=True`` overrides one already registered under its name.

        Returns the exercise, so ``register`` can be used in an assignment.
        """
        if not isinstance(exercise, _Exercise):
            raise TypeError(f"register: expected a FunctionExercise or BehaviourExercise, got {type(exercise).__name__}")
        name = exercise.name
        if name in self._exercises and not replace:
            if name in self._overrides:
                return self._exercises[name]  # a private test replaced it before its chapter was imported
            raise ValueError(
                f"register: an exercise named {name!r} is already registered; "
                "pass replace=True to override it (e.g. from a private test file)"
            )
        self._exercises[name] = exercise
        if replace:
            self._overrides.add(name)
        return exercise

    def _import_chapter(self, chapter: str) -> None:
        if chapter in self._loaded:
            return
        self._loaded.add(chapter)
        module = f"{self.package}.{chapter.replace('-', '_')}"
        if chapter.startswith("_") or importlib.util.find_spec(module) is None:
            return
        importlib.import_module(module)

    def get(self, name: str) -> _Exercise:
        """The exercise called ``name`` (``"chapter/exercise"``)."""
        if not isinstance(name, str):
            raise TypeError(f"check: the exercise name must be a string like 'activations/swish', got {type(name).__name__}")
        if name not in self._exercises and "/" in name:
            self._import_chapter(name.split("/", 1)[0])
        if name in self._exercises:
            return self._exercises[name]
        known = self.names()
        close = difflib.get_close_matches(name, known, n=3)
        advice = f" Did you mean {' or '.join(repr(c) for c in close)}?" if close else ""
        raise ValueError(f"check: there is no exercise named {name!r}.{advice} Names look like 'chapter/exercise'.")

    def chapters(self) -> list:
        """The chapters that have an exercise module in the package."""
        package = importlib.import_module(self.package)
        return sorted(
            m.name.replace("_", "-") for m in pkgutil.iter_modules(package.__path__) if not m.name.startswith("_")
        )

    def names(self, chapter: str | None = None) -> list:
        """All exercise names (of one chapter when ``chapter`` is given), importing chapter modules as needed."""
        for c in [chapter] if chapter else self.chapters():
            self._import_chapter(c)
        return sorted(n for n in self._exercises if chapter is None or n.split("/", 1)[0] == chapter)

    def load_tests(self, directory: str | Path) -> list:
        """Import every ``*.py`` file of ``directory`` (private exercises); return the names they registered.

        A file already loaded is not loaded again, so calling this twice is harmless.
        """
        directory = Path(directory)
        if not directory.is_dir():
            raise ValueError(f"load_tests: {str(directory)!r} is not a directory of Python files")
        before = {n: id(e) for n, e in self._exercises.items()}
        for i, path in enumerate(sorted(directory.glob("*.py"))):
            if path.resolve() in self._test_files:
                continue
            self._test_files.add(path.resolve())
            spec = importlib.util.spec_from_file_location(f"_nbcourse_private_tests_{len(self._test_files)}_{path.stem}", path)
            module = importlib.util.module_from_spec(spec)
            spec.loader.exec_module(module)
        return sorted(n for n, e in self._exercises.items() if before.get(n) != id(e))


REGISTRY = Registry()


def register(exercise: _Exercise, *, replace: bool = False) -> _Exercise:
    """Register ``exercise`` in the package's registry (see :class:`Registry.register`)."""
    return REGISTRY.register(exercise, replace=replace)


def get(name: str) -> _Exercise:
    """The exercise called ``name``, importing its chapter's module on demand."""
    return REGISTRY.get(name)


def names(chapter: str | None = None) -> list:
    """The names of all registered exercises (of ``chapter`` when given)."""
    return REGISTRY.names(chapter)


def load_tests(directory: str | Path) -> list:
    """Register the private exercises in ``directory`` (``nbcourse grade --tests DIR``)."""
    return REGISTRY.load_tests(directory)
