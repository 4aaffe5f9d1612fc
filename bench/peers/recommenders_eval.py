"""Run Microsoft Recommenders' python evaluators on lists exchanged as Parquet (peer side).

Runs under the interpreter of ``.venv-peers/recommenders`` (see setup_recommenders.sh), never under
RecScope's own venv. Usage: ``python recommenders_eval.py DIR K``; DIR holds ``truth.parquet``
(userID, itemID, rating) and ``pred.parquet`` (userID, itemID, prediction, higher = better);
it writes ``result.json`` there: the library version, each metric's value and the seconds the
five evaluator calls took (reading the files and importing the library are not timed).
"""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path

import pandas as pd
from recommenders import __version__
from recommenders.evaluation import python_evaluation as pe

#: Our metric name -> the evaluator that computes the same definition.
EVALUATORS = {
    "precision": pe.precision_at_k,
    "recall": pe.recall_at_k,
    "ndcg": pe.ndcg_at_k,
    "map": pe.map_at_k,
    "msr_map": pe.map,
}


def main() -> None:
    directory, k = Path(sys.argv[1]), int(sys.argv[2])
    truth = pd.read_parquet(directory / "truth.parquet")
    pred = pd.read_parquet(directory / "pred.parquet")
    values = {}
    start = time.perf_counter()
    for name, evaluator in EVALUATORS.items():
        values[f"{name}@{k}"] = float(evaluator(truth, pred, k=k))
    seconds = time.perf_counter() - start
    result = {"version": __version__, "seconds": seconds, "values": values}
    (directory / "result.json").write_text(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
