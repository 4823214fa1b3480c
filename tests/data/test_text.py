"""nbcourse.data.text: loading a reader's text file, the course's own text, vocabulary, sequences."""

from __future__ import annotations

import pytest
import torch

from nbcourse.data.text import Vocabulary, char_sequences, course_text, load_text, package_text, split_text


def test_load_text_reads_utf8_and_other_encodings(tmp_path):
    path = tmp_path / "poem.txt"
    path.write_text("Ça va, ça vient.\n", encoding="utf-8")
    assert load_text(path) == "Ça va, ça vient.\n"
    assert load_text(str(path)) == "Ça va, ça vient.\n"
    latin = tmp_path / "latin.txt"
    latin.write_bytes("Ça".encode("latin-1"))
    with pytest.raises(ValueError, match="not valid utf-8.*latin-1"):
        load_text(latin)
    assert load_text(latin, encoding="latin-1") == "Ça"
    bom = tmp_path / "bom.txt"
    bom.write_bytes("\ufeffhi".encode("utf-8"))
    assert load_text(bom) == "hi"


def test_load_text_errors(tmp_path):
    with pytest.raises(FileNotFoundError, match="no file at .*missing.txt"):
        load_text(tmp_path / "missing.txt")
    empty = tmp_path / "empty.txt"
    empty.write_bytes(b"")
    with pytest.raises(ValueError, match="empty"):
        load_text(empty)
    binary = tmp_path / "image.png"
    binary.write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR")
    with pytest.raises(ValueError, match="binary"):
        load_text(binary)
    with pytest.raises(IsADirectoryError, match="folder"):
        load_text(tmp_path)
    with pytest.raises(ValueError, match="encoding"):
        load_text(empty.with_name("x.txt").write_text("x") and empty.with_name("x.txt"), encoding="no-such-codec")
    with pytest.raises(TypeError, match="'path'"):
        load_text(42)


def test_vocabulary():
    v = Vocabulary.from_text("banana")
    assert v.chars == ("a", "b", "n") and len(v) == 3 and "b" in v and "z" not in v
    assert v.encode("nab").tolist() == [2, 0, 1] and v.encode("nab").dtype == torch.int64
    assert v.decode(torch.tensor([1, 0, 2])) == "ban"
    with pytest.raises(ValueError, match=r"'z'.*'!'"):
        v.encode("baz!")
    with pytest.raises(ValueError, match="out of range"):
        v.decode([3])
    with pytest.raises(ValueError, match="more than once"):
        Vocabulary("aba")
    with pytest.raises(ValueError, match="empty"):
        Vocabulary("")


def test_char_sequences_targets_are_inputs_shifted_by_one(tmp_path):
    path = tmp_path / "t.txt"
    path.write_text("abcdefghij")
    text = load_text(path)
    vocab = Vocabulary.from_text(text)
    X, y = char_sequences(text, vocab=vocab, seq_len=3)
    assert X.shape == y.shape == (3, 3) and X.dtype == torch.int64
    assert [vocab.decode(row) for row in X] == ["abc", "def", "ghi"]
    assert [vocab.decode(row) for row in y] == ["bcd", "efg", "hij"]
    X2, y2 = char_sequences(text, seq_len=4, step=1)
    assert X2.shape == (6, 4)
    assert torch.equal(X2[:, 1:], y2[:, :-1])
    X3, _ = char_sequences(vocab.encode(text), seq_len=3)
    assert torch.equal(X3, X)
    with pytest.raises(ValueError, match="too few"):
        char_sequences("abc", seq_len=3)
    with pytest.raises(ValueError, match="seq_len"):
        char_sequences(text, seq_len=0)
    with pytest.raises(ValueError, match="not in the vocabulary"):
        char_sequences("xyz" * 5, vocab=vocab, seq_len=2)


def test_split_text_is_contiguous():
    train, val = split_text("0123456789", val_fraction=0.2)
    assert (train, val) == ("01234567", "89")
    with pytest.raises(ValueError, match="val_fraction"):
        split_text("abc", val_fraction=1.0)


def test_course_text_ships_with_the_package():
    text = course_text()
    assert len(text) > 50_000
    assert "gradient" in text and "def " not in text[:2000]
    assert course_text() == text, "the same text every time"
    source = course_text("source")
    assert "def course_text" in source and len(source) > len(text)
    with pytest.raises(ValueError, match="'kind'"):
        course_text("poems")


def test_course_text_is_the_frozen_file():
    # the page's numbers and the truncation exercise's answer depend on this text: it is read from the
    # package data file, not rebuilt from the docstrings of today's package
    from importlib import resources

    frozen = resources.files("nbcourse.data").joinpath("course_text.txt").read_text(encoding="utf-8")
    assert course_text() == frozen
    assert len(frozen) == 302_789 and len(set(frozen)) == 103


def _write_package(root, files):
    for name, content in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(content, encoding="utf-8")


def test_package_text_reads_docstrings_in_path_order(tmp_path):
    long_doc = "A module docstring long enough to be kept, forty characters or more."
    _write_package(tmp_path, {
        "b.py": f'"""{long_doc} (b)"""\n\ndef f():\n    """Short."""\n',
        "a/inner.py": f'class C:\n    """{long_doc} (class C)"""\n',
        "a/__pycache__/skip.py": f'"""{long_doc} (never read)"""\n',
        "notes.txt": f"{long_doc} (not Python)",
        "broken.py": "def (:\n",
    })
    text = package_text("docstrings", tmp_path)
    assert text == f"{long_doc} (class C)\n\n{long_doc} (b)\n"      # a/inner.py before b.py; short, cached, broken: out
    source = package_text("source", tmp_path)
    assert source.startswith("class C:") and "def (:" in source and "never read" not in source
    with pytest.raises(ValueError, match="'kind'"):
        package_text("poems", tmp_path)
    empty = tmp_path / "empty"
    empty.mkdir()
    with pytest.raises(ValueError, match="no .py files"):
        package_text("docstrings", empty)
