"""The attention page's experiment at a longer scale: more data, more epochs, accuracy against length.

The page (book/architectures/attention.ipynb) trains for a few seconds; this script trains the same
three models (reversal with and without attention, sorting with attention) on the same lengths with
more sequences and epochs, prints the sequence accuracy for each source length, writes the table to
``benches/results/attention.md`` and the attention maps of the explorer's examples to
``nbcourse/data/attention_maps.json`` (what ``nbcourse.figures.attention.attention_explorer()`` shows
when called without maps).

    python benches/attention_long_run.py                       # 10000 sequences, 12 epochs (quiet CPU: ~5 min)
    python benches/attention_long_run.py --n-train 3000 --epochs 4   # the page's scale
    python benches/attention_long_run.py --device cuda

This measures accuracy, not speed: there is no baseline ratio; the page's short run is the baseline.
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

import torch

from nbcourse.data.sequences import PAD, make_sequences
from nbcourse.figures.attention import DEFAULT_MAPS_FILE, EXAMPLES, attention_maps
from nbcourse.models import Seq2Seq, TeacherForcing, accuracy_by_length, sequence_accuracy
from nbcourse.train import Trainer

ROOT = Path(__file__).resolve().parents[1]
RUNS = (("reverse", "dot"), ("reverse", "none"), ("sort", "dot"))


def train(task: str, attention: str, *, n_train: int, epochs: int, lengths: tuple[int, int], lr: float,
          batch_size: int, hidden_size: int, device: str, seed: int = 0):
    data = make_sequences(n_train, length=lengths, task=task, seed=seed)
    model = Seq2Seq(attention=attention, hidden_size=hidden_size, seed=seed)
    wrapped = TeacherForcing(model, src_len=data.src.shape[1])
    trainer = Trainer(wrapped, torch.nn.CrossEntropyLoss(ignore_index=PAD),
                      torch.optim.Adam(wrapped.parameters(), lr=lr), device=device, seed=seed, progress=True)
    history = trainer.fit((TeacherForcing.pack(data.src, data.tgt_in), data.tgt_out), epochs=epochs,
                          batch_size=batch_size)
    return model.cpu(), history


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n-train", type=int, default=10000)
    parser.add_argument("--epochs", type=int, default=12)
    parser.add_argument("--lengths", type=int, nargs=2, default=(3, 14))
    parser.add_argument("--lr", type=float, default=5e-3)
    parser.add_argument("--batch-size", type=int, default=64)
    parser.add_argument("--hidden-size", type=int, default=64)
    parser.add_argument("--device", default="cpu")
    parser.add_argument("--no-write", action="store_true", help="print only; write neither results nor maps")
    args = parser.parse_args(argv)
    lengths = tuple(args.lengths)
    rows, models = {}, {}
    for task, attention in RUNS:
        start = time.perf_counter()
        model, history = train(task, attention, n_train=args.n_train, epochs=args.epochs, lengths=lengths,
                               lr=args.lr, batch_size=args.batch_size, hidden_size=args.hidden_size,
                               device=args.device)
        test = make_sequences(2000, length=lengths, task=task, seed=1)
        by_length = accuracy_by_length(model, test.src, test.tgt_out)
        overall = sequence_accuracy(model, test.src, test.tgt_out)
        label = f"{task}, {'attention' if attention != 'none' else 'no attention'}"
        rows[label] = {"overall": overall, "by_length": by_length, "final_train_loss": history["train_loss"][-1],
                       "seconds": time.perf_counter() - start}
        models[(task, attention)] = model
        print(f"{label}: sequence accuracy {overall:.3f} ({rows[label]['seconds']:.0f} s)", flush=True)
    all_lengths = sorted({L for r in rows.values() for L in r["by_length"]})
    header = "| model | overall | " + " | ".join(str(L) for L in all_lengths) + " |"
    lines = [header, "|" + "---|" * (len(all_lengths) + 2)]
    for label, r in rows.items():
        cells = " | ".join(f"{r['by_length'].get(L, float('nan')):.2f}" for L in all_lengths)
        lines.append(f"| {label} | {r['overall']:.3f} | {cells} |")
    table = "\n".join(lines)
    print(table)
    if not args.no_write:
        setup = {"n_train": args.n_train, "epochs": args.epochs, "lengths": list(lengths), "lr": args.lr,
                 "batch_size": args.batch_size, "hidden_size": args.hidden_size, "device": args.device}
        (ROOT / "benches" / "results").mkdir(exist_ok=True)
        (ROOT / "benches" / "results" / "attention.md").write_text(
            "# Attention: sequence accuracy by source length after the long run\n\n"
            f"`python benches/attention_long_run.py` with {json.dumps(setup)}; test: 2000 sequences (seed 1) "
            "of the training lengths; accuracy = the whole greedy decoding right, EOS included.\n\n" + table + "\n")
        maps = attention_maps({"reverse": models[("reverse", "dot")], "sort": models[("sort", "dot")]}, EXAMPLES)
        DEFAULT_MAPS_FILE.write_text(json.dumps({"setup": setup, "maps": maps}) + "\n")
        print(f"wrote benches/results/attention.md and {DEFAULT_MAPS_FILE.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
