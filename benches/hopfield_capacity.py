"""The long version of the Hopfield page's capacity curve: N = 1000 units, more networks per load.

    python benches/hopfield_capacity.py [--n-units 1000] [--trials 3]

Prints, for each load P/N, the share of stored random patterns that are exact fixed points and the share
recalled (recall started from the pattern ends with at most 5 % of the bits wrong). The page runs N = 200
with two networks per load; the drop of "recalled" steepens towards alpha_c = 0.138 as N grows
(Amit, Gutfreund and Sompolinsky 1985). A few minutes on one core.
"""

from __future__ import annotations

import argparse

from nbcourse.models.hopfield import capacity_curve


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n-units", type=int, default=1000)
    parser.add_argument("--trials", type=int, default=3)
    args = parser.parse_args()
    loads = (0.05, 0.08, 0.1, 0.12, 0.13, 0.14, 0.15, 0.16, 0.18, 0.2)
    curve = capacity_curve(args.n_units, loads=loads, n_trials=args.trials, threshold=0.9, max_steps=50, seed=0)
    print(f"N = {args.n_units}, {args.trials} networks per load")
    print("P/N      P   exactly stable   recalled   mean overlap")
    for load, p, stable, recalled, overlap in zip(curve["loads"], curve["n_patterns"], curve["stable"],
                                                  curve["recalled"], curve["overlap"]):
        print(f"{load:4.2f}  {p:5d}   {stable:13.1%}   {recalled:8.1%}   {overlap:12.3f}")


if __name__ == "__main__":
    main()
