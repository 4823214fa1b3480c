r"""Text for character-level language models: load it, build its vocabulary, cut it into sequences.

A character-level language model reads a text one character at a time and predicts the next
one. Its training data are pairs of equally long sequences, the target shifted by one character:

.. code-block:: text

    text     "the cat"
    input     t h e _ c a      (X[i, t] = text[s + t])
    target    h e _ c a t      (y[i, t] = text[s + t + 1])

- :func:`load_text` reads any text file a reader supplies (clear errors for a missing, empty or
  binary file);
- :func:`course_text` returns a text that ships with the course: the docstrings of :mod:`nbcourse`
  itself, frozen in a package data file (``course_text.txt``, written by :func:`package_text` with
  ``python -m nbcourse.data.text --write``), so it is there wherever ``nbcourse`` is installed,
  Colab included, and does not change when a docstring is edited;
- :class:`Vocabulary` maps characters to indices and back (``encode`` / ``decode``);
- :func:`char_sequences` cuts a text into ``(X, y)`` tensors of shape ``(N, T)`` for
  :class:`nbcourse.train.Trainer`; :func:`split_text` splits a text into a training and a
  validation part by position (contiguous, so the validation text was never seen).

    >>> vocab = Vocabulary.from_text("hello")
    >>> vocab.chars, len(vocab)
    (('e', 'h', 'l', 'o'), 4)
    >>> vocab.decode(vocab.encode("hole"))
    'hole'
    >>> X, y = char_sequences("hello world", vocab=Vocabulary.from_text("hello world"), seq_len=4)
    >>> X.shape, y.shape
    (torch.Size([2, 4]), torch.Size([2, 4]))
"""

from __future__ import annotations

import ast
import functools
import os
from importlib import resources
from pathlib import Path
from typing import Iterable, Sequence

import torch

__all__ = ["Vocabulary", "load_text", "course_text", "package_text", "char_sequences", "split_text"]


class Vocabulary:
    r"""The characters a model knows, each with an index: ``chars[i]`` has index ``i``.

    Args:
        chars: the characters, in index order (a string or a sequence of one-character strings;
            no duplicates). Use :meth:`from_text` to take the distinct characters of a text, sorted.

    Examples::

        >>> v = Vocabulary("abc")
        >>> v.encode("cab").tolist(), v.decode([0, 1, 2])
        ([2, 0, 1], 'abc')
        >>> "z" in v
        False
    """

    def __init__(self, chars: str | Sequence[str]):
        chars = tuple(chars)
        bad = [c for c in chars if not isinstance(c, str) or len(c) != 1]
        if bad:
            raise ValueError(f"Vocabulary: argument 'chars' holds {bad[:5]!r}, expected single characters")
        if not chars:
            raise ValueError("Vocabulary: argument 'chars' is empty, expected at least one character")
        duplicates = sorted({c for c in chars if chars.count(c) > 1})
        if duplicates:
            raise ValueError(f"Vocabulary: argument 'chars' holds {duplicates!r} more than once; "
                             "use Vocabulary.from_text(text) to take each distinct character once")
        self.chars: tuple[str, ...] = chars
        self.index: dict[str, int] = {c: i for i, c in enumerate(chars)}

    @classmethod
    def from_text(cls, text: str) -> "Vocabulary":
        """The distinct characters of ``text``, sorted by code point."""
        if not isinstance(text, str):
            raise TypeError(f"Vocabulary.from_text: argument 'text' got {type(text).__name__}, expected a str")
        return cls(sorted(set(text)))

    def __len__(self) -> int:
        return len(self.chars)

    def __contains__(self, char) -> bool:
        return char in self.index

    def __eq__(self, other) -> bool:
        return isinstance(other, Vocabulary) and other.chars == self.chars

    def __hash__(self) -> int:
        return hash(self.chars)

    def __repr__(self) -> str:
        shown = "".join(self.chars)
        if len(shown) > 40:
            shown = shown[:37] + "..."
        return f"Vocabulary({len(self)} characters: {shown!r})"

    def unknown(self, text: str) -> list[str]:
        """The distinct characters of ``text`` that are not in the vocabulary, in order of appearance."""
        seen: dict[str, None] = {}
        for c in text:
            if c not in self.index:
                seen.setdefault(c, None)
        return list(seen)

    def encode(self, text: str) -> torch.Tensor:
        """The indices of the characters of ``text``: an int64 tensor of shape ``(len(text),)``.

        Raises:
            ValueError: naming the characters that are not in the vocabulary.
        """
        if not isinstance(text, str):
            raise TypeError(f"Vocabulary.encode: argument 'text' got {type(text).__name__}, expected a str")
        missing = self.unknown(text)
        if missing:
            raise ValueError(f"Vocabulary.encode: the text holds {len(missing)} character(s) not in the vocabulary: "
                             f"{_show(missing)}; the vocabulary has {len(self)} characters: {self!r}")
        return torch.tensor([self.index[c] for c in text], dtype=torch.int64)

    def decode(self, indices: Iterable[int] | torch.Tensor) -> str:
        """The characters at ``indices`` (a 1-d tensor, array or list of ints), as a string."""
        if isinstance(indices, torch.Tensor):
            if indices.ndim > 1:
                raise ValueError(f"Vocabulary.decode: argument 'indices' has shape {tuple(indices.shape)}, "
                                 "expected a 1-d sequence (decode each row separately)")
            indices = indices.tolist()
        out = []
        for i in indices:
            i = int(i)
            if not 0 <= i < len(self.chars):
                raise ValueError(f"Vocabulary.decode: index {i} is out of range, expected 0..{len(self.chars) - 1}")
            out.append(self.chars[i])
        return "".join(out)


def _show(chars: Sequence[str]) -> str:
    return ", ".join(repr(c) for c in chars[:10]) + (f" (and {len(chars) - 10} more)" if len(chars) > 10 else "")


def load_text(path: str | os.PathLike, *, encoding: str = "utf-8") -> str:
    r"""The contents of the text file at ``path``, as one string.

    Args:
        path: the file.
        encoding: how its bytes are decoded (default ``"utf-8"``; ``"latin-1"`` reads any bytes).

    Raises:
        FileNotFoundError: the file does not exist (the message says where it was looked for).
        IsADirectoryError: ``path`` is a folder.
        ValueError: the file is empty, holds NUL bytes (a binary file: an image, a zip, a PDF),
            or cannot be decoded with ``encoding`` (the message gives the position).
    """
    if not isinstance(path, (str, os.PathLike)):
        raise TypeError(f"load_text: argument 'path' got {type(path).__name__}, expected a file path (str or Path)")
    p = Path(path).expanduser()
    if not p.exists():
        raise FileNotFoundError(f"load_text: no file at {str(path)!r} (looked for {str(p.resolve())!r}); "
                                "check the path, or use nbcourse.data.course_text() for the text that ships with the course")
    if p.is_dir():
        raise IsADirectoryError(f"load_text: {str(path)!r} is a folder, expected a text file")
    raw = p.read_bytes()
    if not raw:
        raise ValueError(f"load_text: the file {str(path)!r} is empty, expected some text to learn from")
    nul = raw.find(b"\x00")
    if nul >= 0:
        raise ValueError(f"load_text: the file {str(path)!r} holds NUL bytes (the first at byte {nul}): "
                         "it looks binary (an image, an archive, a PDF?), expected a plain text file")
    try:
        text = raw.decode(encoding)
    except LookupError as e:
        raise ValueError(f"load_text: argument 'encoding' got {encoding!r}, which Python does not know") from e
    except UnicodeDecodeError as e:
        raise ValueError(f"load_text: the file {str(path)!r} is not valid {encoding} (byte {e.start}: "
                         f"{raw[e.start:e.start + 1]!r}); is it binary? If it is text in another encoding, "
                         "pass it, e.g. encoding='latin-1'") from e
    if text.startswith("\ufeff"):  # a byte-order mark is not part of the text
        text = text[1:]
    if not text:
        raise ValueError(f"load_text: the file {str(path)!r} holds no text, only a byte-order mark")
    return text


#: The frozen course text, shipped as package data (declared in pyproject.toml).
COURSE_TEXT_FILE = "course_text.txt"


def _package_files(root=None) -> list:
    """``(relative path, file)`` for the ``.py`` files under ``root`` (default: the installed nbcourse), sorted by path."""
    root = resources.files("nbcourse") if root is None else Path(root)
    found = []

    def walk(folder, prefix):
        for entry in folder.iterdir():
            name = entry.name
            if entry.is_dir():
                if not name.startswith(".") and name != "__pycache__":
                    walk(entry, f"{prefix}{name}/")
            elif name.endswith(".py"):
                found.append((f"{prefix}{name}", entry))

    walk(root, "")
    return sorted(found, key=lambda item: item[0])


def package_text(kind: str = "docstrings", root: str | os.PathLike | None = None) -> str:
    r"""Build a text from the Python files of a package, read now (it changes with every edit of them).

    Args:
        kind: ``"docstrings"`` (default): the docstrings of every module, class and function (those of
            at least 40 characters), in the order of the files' paths; ``"source"``: the files themselves.
        root: the package's folder (default None: the installed :mod:`nbcourse`).

    This is how ``course_text.txt`` was generated (``python -m nbcourse.data.text --write``); the
    pages read the frozen file through :func:`course_text`, so that editing a docstring does not
    change their numbers.
    """
    if kind not in ("docstrings", "source"):
        raise ValueError(f"package_text: argument 'kind' got {kind!r}, expected 'docstrings' or 'source'")
    files = _package_files(root)
    if not files:
        raise ValueError(f"package_text: no .py files under {str(root)!r}, expected a Python package folder")
    parts = []
    for name, entry in files:
        source = entry.read_text(encoding="utf-8")
        if kind == "source":
            parts.append(source)
            continue
        try:
            tree = ast.parse(source)
        except SyntaxError:  # a file that does not parse has no docstrings to read
            continue
        nodes = [tree] + [n for n in ast.walk(tree)
                          if isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef))]
        for node in nodes:
            doc = ast.get_docstring(node, clean=True)
            if doc and len(doc) >= 40:
                parts.append(doc.strip())
    return "\n\n".join(parts) + "\n"


def course_text(kind: str = "docstrings") -> str:
    r"""A text that ships with the course, for the character-level models to imitate.

    Args:
        kind: ``"docstrings"`` (default): the docstrings of every module, class and function of
            :mod:`nbcourse` (English prose with formulas and code examples), frozen in the package
            data file ``nbcourse/data/course_text.txt``: the same text wherever this version of the
            course is installed, whatever is edited later; ``"source"``: the Python source of the
            installed package, read now (the way Karpathy's char-RNN imitated the Linux kernel's C;
            not frozen, so it changes as the package does).

    The frozen file was generated by :func:`package_text` with ``python -m nbcourse.data.text --write``;
    rerun that command only on purpose, and then re-execute the page *Recurrent networks* and
    ``benches/train_char_rnn.py``, whose numbers depend on the text.

    Examples::

        >>> text = course_text()
        >>> len(text)
        302789
    """
    if kind not in ("docstrings", "source"):
        raise ValueError(f"course_text: argument 'kind' got {kind!r}, expected 'docstrings' or 'source'")
    return _course_text(kind)


@functools.lru_cache(maxsize=2)  # a str is immutable: reading the files once per process is enough
def _course_text(kind: str) -> str:
    if kind == "source":
        return package_text("source")
    return resources.files("nbcourse.data").joinpath(COURSE_TEXT_FILE).read_text(encoding="utf-8")


def split_text(text: str, *, val_fraction: float = 0.1) -> tuple[str, str]:
    """``(train, val)``: the first ``1 - val_fraction`` of ``text`` and the rest (contiguous, not shuffled:
    the validation text is text the model has never seen, not sentences interleaved with its training data)."""
    if not isinstance(text, str):
        raise TypeError(f"split_text: argument 'text' got {type(text).__name__}, expected a str")
    if not 0.0 <= val_fraction < 1.0:
        raise ValueError(f"split_text: argument 'val_fraction' got {val_fraction!r}, expected a number in [0, 1)")
    cut = len(text) - int(round(len(text) * val_fraction))
    return text[:cut], text[cut:]


def char_sequences(text: str | torch.Tensor, *, vocab: Vocabulary | None = None, seq_len: int = 64,
                   step: int | None = None) -> tuple[torch.Tensor, torch.Tensor]:
    r"""Cut a text into input and target sequences for next-character prediction.

    .. math::
        X_{i,t} = c_{s_i + t}, \qquad y_{i,t} = c_{s_i + t + 1}, \qquad s_i = i \cdot \text{step},
        \quad t = 0, \dots, T - 1

    where :math:`c` are the indices of the characters of the text.

    Args:
        text: the text (a str, encoded with ``vocab``) or its indices (a 1-d int64 tensor).
        vocab: the :class:`Vocabulary` (default None: ``Vocabulary.from_text(text)``; pass the
            training text's vocabulary when cutting a validation text).
        seq_len: :math:`T`, characters per sequence (default 64); also how far back
            backpropagation through time reaches during training.
        step: characters between the starts of consecutive sequences (default None: ``seq_len``,
            non-overlapping; a smaller step gives overlapping sequences, more of them).

    Returns:
        ``(X, y)``: int64 tensors of shape ``(N, seq_len)``, ``N = (len(text) - 1 - seq_len) // step + 1``,
        ready for ``Trainer.fit((X, y), ...)`` with :class:`nbcourse.models.char_rnn.NextCharLogits`
        and ``nn.CrossEntropyLoss()``.

    Raises:
        ValueError: the text is shorter than ``seq_len + 1`` characters, or holds characters not in ``vocab``.
    """
    if isinstance(seq_len, bool) or not isinstance(seq_len, int) or seq_len < 1:
        raise ValueError(f"char_sequences: argument 'seq_len' got {seq_len!r}, expected a positive integer")
    step = seq_len if step is None else step
    if isinstance(step, bool) or not isinstance(step, int) or step < 1:
        raise ValueError(f"char_sequences: argument 'step' got {step!r}, expected a positive integer (or None)")
    if isinstance(text, str):
        vocab = Vocabulary.from_text(text) if vocab is None else vocab
        indices = vocab.encode(text)
    elif isinstance(text, torch.Tensor) and text.ndim == 1 and not text.is_floating_point():
        indices = text.long()
    else:
        raise TypeError(f"char_sequences: argument 'text' got {type(text).__name__}, expected a str or a 1-d "
                        "integer tensor of character indices")
    if len(indices) < seq_len + 1:
        raise ValueError(f"char_sequences: the text has {len(indices)} characters, too few for one sequence of "
                         f"seq_len={seq_len} plus its target (at least {seq_len + 1}); use a longer text or a smaller seq_len")
    starts = torch.arange(0, len(indices) - seq_len, step)            # (N,)
    offsets = torch.arange(seq_len)                                   # (T,)
    X = indices[starts[:, None] + offsets[None, :]]                   # (N, T)
    y = indices[starts[:, None] + offsets[None, :] + 1]               # (N, T), shifted by one
    return X, y


def _main(argv=None) -> None:
    import argparse

    parser = argparse.ArgumentParser(prog="python -m nbcourse.data.text",
                                     description="Regenerate the frozen course text from the package's docstrings.")
    parser.add_argument("--write", action="store_true",
                        help=f"write nbcourse/data/{COURSE_TEXT_FILE} (without it: only print what would change)")
    args = parser.parse_args(argv)
    target = Path(__file__).resolve().parent / COURSE_TEXT_FILE
    text = package_text("docstrings", Path(__file__).resolve().parent.parent)
    old = target.read_text(encoding="utf-8") if target.exists() else None
    if old == text:
        print(f"{target}: up to date ({len(text):,} characters)")
    elif args.write:
        target.write_text(text, encoding="utf-8", newline="\n")
        print(f"wrote {target}: {len(text):,} characters (was {len(old):,}); re-execute the page Recurrent "
              "networks and benches/train_char_rnn.py" if old is not None else f"wrote {target}: {len(text):,} characters")
    else:
        print(f"{target}: {len(old or ''):,} characters frozen, {len(text):,} from the package now; "
              "pass --write to replace it")


if __name__ == "__main__":
    _main()
