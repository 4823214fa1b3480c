"""The long version of the page *Recurrent networks*: a character model trained for longer, on more text.

The page trains an RNN and an LSTM of 128 units for a few epochs on 54,000 characters of the
course's own docstrings (about 10 s each on a quiet machine). This script trains the same kind of
model as long as you like, on the whole course text or on any text file, and prints, per epoch,
the training and validation loss in bits per character, then samples at a few temperatures::

    python benches/train_char_rnn.py                                   # LSTM, 128 units, whole course text, 10 epochs
    python benches/train_char_rnn.py --cell rnn --epochs 10            # the vanilla RNN, for comparison
    python benches/train_char_rnn.py --hidden-size 512 --num-layers 3 --epochs 50 --text my_book.txt  # Karpathy-sized (use a GPU)

Like every bench it reports a ratio against a baseline measured in the same run: the final
validation loss over the loss of the best *unigram* model (each character drawn with its frequency
in the training text, no memory at all); below 1 means the network uses the context.
"""

from __future__ import annotations

import argparse
import math
import sys
import time
from pathlib import Path

import torch
from torch import nn

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from nbcourse.data.text import Vocabulary, char_sequences, course_text, load_text, split_text  # noqa: E402
from nbcourse.models.char_rnn import CharRNN, NextCharLogits  # noqa: E402
from nbcourse.train import Trainer  # noqa: E402
from nbcourse.train.callbacks import GradientClipping  # noqa: E402


def unigram_bits(train: str, val: str, vocab: Vocabulary) -> float:
    """Cross-entropy (bits per character) on ``val`` of character frequencies counted on ``train`` (add-one smoothed)."""
    counts = torch.bincount(vocab.encode(train), minlength=len(vocab)).double() + 1.0
    logp = (counts / counts.sum()).log2()
    return float(-logp[vocab.encode(val)].mean())


def main(argv=None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--text", default=None, help="a text file (default: nbcourse.data.course_text())")
    parser.add_argument("--kind", default="docstrings", choices=["docstrings", "source"], help="which course text")
    parser.add_argument("--chars", type=int, default=None, help="use only the first CHARS characters")
    parser.add_argument("--cell", default="lstm", choices=["rnn", "gru", "lstm"])
    parser.add_argument("--hidden-size", type=int, default=128)
    parser.add_argument("--num-layers", type=int, default=1)
    parser.add_argument("--dropout", type=float, default=0.0)
    parser.add_argument("--forget-bias", default="1.0",
                        help="LSTM: initial forget-gate bias (default 1.0; 'none': PyTorch's initialisation)")
    parser.add_argument("--seq-len", type=int, default=64)
    parser.add_argument("--batch-size", type=int, default=32)
    parser.add_argument("--lr", type=float, default=1e-2)
    parser.add_argument("--epochs", type=int, default=10)
    parser.add_argument("--device", default="auto")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)

    text = load_text(args.text) if args.text else course_text(args.kind)
    if args.chars:
        text = text[: args.chars]
    vocab = Vocabulary.from_text(text)
    train, val = split_text(text, val_fraction=0.1)
    X, y = char_sequences(train, vocab=vocab, seq_len=args.seq_len)
    Xv, yv = char_sequences(val, vocab=vocab, seq_len=args.seq_len)
    model = CharRNN(vocab, hidden_size=args.hidden_size, cell=args.cell, num_layers=args.num_layers,
                    dropout=args.dropout, seed=args.seed,
                    forget_bias=None if args.forget_bias.lower() == "none" else float(args.forget_bias))
    optimizer = torch.optim.Adam(model.parameters(), lr=args.lr)
    trainer = Trainer(NextCharLogits(model), nn.CrossEntropyLoss(), optimizer, device=args.device, seed=args.seed,
                      callbacks=[GradientClipping(1.0)], progress=True)
    print(f"{len(text):,} characters ({len(vocab)} distinct), {len(X)} training sequences of {args.seq_len}; "
          f"{sum(p.numel() for p in model.parameters()):,} parameters; device {trainer.device}")
    baseline = unigram_bits(train, val, vocab)
    start = time.perf_counter()
    history = trainer.fit((X, y), (Xv, yv), epochs=args.epochs, batch_size=args.batch_size)
    seconds = time.perf_counter() - start
    for epoch, (tr, va) in enumerate(zip(history["train_loss"], history["val_loss"]), start=1):
        print(f"epoch {epoch:3d}: training {tr / math.log(2):.3f}, validation {va / math.log(2):.3f} bits/char")
    final = history["val_loss"][-1] / math.log(2)
    print(f"unigram baseline {baseline:.3f} bits/char; final validation {final:.3f}; ratio {final / baseline:.3f} "
          f"({seconds:.0f} s)")
    model.cpu()
    prefix = "The gradient" if not vocab.unknown("The gradient") else text[:12]
    for temperature in (0.3, 0.7, 1.0):
        print(f"\n--- T = {temperature} ---\n{prefix}{model.sample(prefix, 400, temperature=temperature, seed=0)}")
    return {"val_bits": final, "baseline_bits": baseline, "ratio": final / baseline, "seconds": seconds}


if __name__ == "__main__":
    main()
