r"""Exercises of the page *Autoencoders* (``book/architectures/autoencoders``).

========================================  ===========================  ======  ===============================================
exercise                                  the student gives            points  checked against
========================================  ===========================  ======  ===============================================
``architectures/linear-ae-best-mse``      ``best_linear_ae_mse``        2      :func:`~nbcourse.models.autoencoder.pca_reconstruction_error`
``architectures/ae-code-size``            ``smallest_code_size``        1      PCA's held-out error on the digits, k and k - 1
``architectures/overcomplete-identity``   ``identity_weights``          2      exact reconstruction of any input, negatives too
========================================  ===========================  ======  ===============================================

The fact behind the first two (Bourlard and Kamp, 1988; Baldi and Hornik, 1989): a linear
autoencoder with ``k`` code units and biases, trained with the squared error, can do no better than
PCA with ``k`` components, and reaches it:

.. math::
    \min \frac{1}{N d} \sum_n \lVert \hat{x}_n - x_n \rVert^2 = \frac{1}{d} \sum_{i > k} \lambda_i ,

the :math:`\lambda_i` being the eigenvalues of the covariance of the data (divided by :math:`N`).
"""

from __future__ import annotations

import numpy as np

from nbcourse.exercises import BehaviourExercise, Case, FunctionExercise, register

PAGE = "architectures/autoencoders"

#: The held-out error the code size must reach (``architectures/ae-code-size``).
CODE_SIZE_TARGET = 0.10


# ------------------------------------------------------------------------- 1. the best linear autoencoder

def _best_mse_cases():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(40, 6)) @ np.diag([3.0, 2.0, 1.5, 1.0, 0.5, 0.2])
    shifted = X + np.array([10.0, -5.0, 3.0, 0.0, 7.0, 1.0])
    wide = rng.normal(size=(5, 8))
    from nbcourse.data.digits import load_digits

    (digits, _), _ = load_digits()
    digits = digits[:300].double().numpy()
    centre_hint = ("The biases of a linear autoencoder can hold the mean of the data: the best it does is PCA "
                   "on the centred data.")
    return [
        Case(args=(X, 2), label="40 samples, 6 features of different variances, k = 2", hint=centre_hint),
        Case(args=(X.astype(np.float32), 3), label="the same in float32, k = 3"),
        Case(args=(shifted, 2), label="the same data far from the origin (mean ~ 10), k = 2", hint=centre_hint),
        Case(args=(X, 0), label="k = 0: no code at all",
             hint="With no code the decoder can only output its bias: the best constant is the mean."),
        Case(args=(X, 6), label="k = d = 6: as many code units as features",
             hint="With k = d nothing needs to be lost."),
        Case(args=(wide, 4), label="5 samples in 8 dimensions, k = 4",
             hint="5 centred samples span at most 4 directions; mind the shapes of the SVD."),
        Case(args=(digits, 10), label="300 standardised digits, k = 10", hint=centre_hint),
    ]


def _best_mse_reference(X, k):
    from nbcourse.models.autoencoder import pca_reconstruction_error

    return pca_reconstruction_error(X, int(k))


register(FunctionExercise(
    name="architectures/linear-ae-best-mse",
    answer="best_linear_ae_mse",
    title="The best error a linear autoencoder can reach",
    points=2,
    cases=_best_mse_cases,
    reference=_best_mse_reference,
    forbidden=("pca_reconstruction_error", "PCA", "TruncatedSVD"),
    arg_names=("X", "k"),
    inputs="random data with unequal variances (also float32 and far from the origin), k = 0 and k = d, "
           "fewer samples than features, and 300 digits",
    hint="Mean over all N*d entries of the squared error of the best rank-k reconstruction of the centred data; "
         "it equals the sum of the eigenvalues of the covariance (divided by N) beyond the k-th, divided by d.",
    notebook=PAGE,
))


# ------------------------------------------------------------------------- 2. choose the code size

def _held_out_errors() -> list[float]:
    from nbcourse.data.digits import load_digits
    from nbcourse.models.autoencoder import pca_reconstruction_error

    (X, _), (X_val, _) = load_digits()
    return [pca_reconstruction_error(X, k, X_eval=X_val) for k in range(65)]


def _code_size_measure(answer, *, seed):
    if isinstance(answer, bool) or not isinstance(answer, (int, np.integer)) \
            and not (isinstance(answer, float) and float(answer).is_integer()):
        return {"error": f"expected a whole number of code units such as 5, got {answer!r}"}
    k = int(answer)
    if not 1 <= k <= 64:
        return {"error": f"a code size is between 1 and 64 (the digits have 64 pixels), got {k}"}
    errors = _held_out_errors()
    return {"k": k, "error_k": errors[k], "error_below": errors[k - 1]}


def _code_size_judge(measured):
    if "error" in measured:
        return False, measured["error"]
    k, e, below = measured["k"], measured["error_k"], measured["error_below"]
    if e >= CODE_SIZE_TARGET:
        return False, (f"with {k} code units the held-out MSE is {e:.4f}, above {CODE_SIZE_TARGET}: "
                       "the code is too small")
    if below < CODE_SIZE_TARGET:
        return False, (f"{k} code units reach {e:.4f}, but {k - 1} already reach {below:.4f} < {CODE_SIZE_TARGET}: "
                       "the smallest size is asked for")
    return True, (f"right: {k} code units give a held-out MSE of {e:.4f} < {CODE_SIZE_TARGET}, "
                  f"and {k - 1} give {below:.4f}")


register(BehaviourExercise(
    name="architectures/ae-code-size",
    answer="smallest_code_size",
    title="The smallest code that reconstructs held-out digits well enough",
    points=1,
    measure=_code_size_measure,
    judge=_code_size_judge,
    answer_is_data=True,
    seed=0,
    hint="A linear autoencoder reaches PCA's error; measure PCA's held-out error for each k "
         "(pca_reconstruction_error(X, k, X_eval=X_val)) and take the first k below the target.",
    notebook=PAGE,
))


# ------------------------------------------------------------------------- 3. the identity through ReLUs

_SIZES = (3, 5)


def _identity_measure(answer, *, seed):
    rng = np.random.default_rng(seed)
    out = []
    for d in _SIZES:
        got = answer(d)
        if not isinstance(got, (tuple, list)) or len(got) != 4:
            return {"error": f"identity_weights({d}) should return four arrays (W_e, b_e, W_d, b_d), "
                             f"got {type(got).__name__}" + (f" of length {len(got)}" if isinstance(got, (tuple, list)) else "")}
        W_e, b_e, W_d, b_d = (np.asarray(a, dtype=np.float64) for a in got)
        want = {"W_e": (2 * d, d), "b_e": (2 * d,), "W_d": (d, 2 * d), "b_d": (d,)}
        for name, a in zip(want, (W_e, b_e, W_d, b_d)):
            if a.shape != want[name]:
                return {"error": f"for d = {d}, {name} has shape {a.shape}, expected {want[name]} "
                                 f"(code size 2d = {2 * d})"}
        X = {
            "positive": rng.uniform(0.1, 3.0, size=(20, d)),
            "negative": -rng.uniform(0.1, 3.0, size=(20, d)),
            "mixed, up to 100": rng.normal(scale=30.0, size=(20, d)),
        }
        for kind, x in X.items():
            code = np.maximum(x @ W_e.T + b_e, 0.0)
            x_hat = code @ W_d.T + b_d
            err = float(np.abs(x_hat - x).max())
            out.append({"d": d, "inputs": kind, "max_error": err, "scale": float(np.abs(x).max())})
    return {"runs": out}


def _identity_judge(measured):
    if "error" in measured:
        return False, measured["error"]
    failed = [r for r in measured["runs"] if r["max_error"] > 1e-6 * max(1.0, r["scale"])]
    if not failed:
        return True, "right: every input, positive or negative, comes back exactly through the ReLU code"
    kinds = {r["inputs"] for r in failed}
    first = failed[0]
    where = f"for d = {first['d']} and {first['inputs']} inputs the reconstruction is off by up to {first['max_error']:.3g}"
    if kinds == {"negative"} or kinds == {"negative", "mixed, up to 100"}:
        return False, (where + "; positive inputs come back, negative ones do not: a ReLU unit outputs 0 for a "
                       "negative input, so something else must carry the negative part")
    if "positive" in kinds and "negative" not in kinds:
        return False, where + "; negative inputs come back but positive ones do not: check the signs"
    return False, where + "; write x = relu(x) - relu(-x) and read the weights off that identity"


register(BehaviourExercise(
    name="architectures/overcomplete-identity",
    answer="identity_weights",
    title="An overcomplete autoencoder that copies its input",
    points=2,
    measure=_identity_measure,
    judge=_identity_judge,
    seed=0,
    hint="x_hat = W_d relu(W_e x + b_e) + b_d with 2d code units; a ReLU passes only the positive "
         "part of its input.",
    notebook=PAGE,
))
