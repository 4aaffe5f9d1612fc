"""Every Streamlit cache of the app lives in this package (DESIGN.md, caching rules), one module
per page; pages call these accessors and never decorate anything themselves.

Keys always include the database path. What another process may change (datasets imported or runs
trained from the CLI) is keyed by ``store.database_stamp()``: the mtime and size of the DuckDB file
and its write-ahead log, read with two ``stat`` calls, so a rerun opens no connection just to learn
that nothing changed, and nothing goes stale. Datasets are keyed by their content fingerprint,
complete runs (immutable, ids never reused) by their id.
"""

from __future__ import annotations

from recsys_core import registry
from recsys_core.ui.cache._shared import (  # noqa: F401
    Stamp,
    _dataset,
    _dataset_infos,
    _datasets_table,
    _db,
    _runs_table,
    _stage,
    _stamp,
    dataset,
    datasets_table,
    default_dataset,
    fingerprint,
    runs_table,
    suggested_protocol,
)
from recsys_core.ui.cache.bandits import (  # noqa: F401
    _bandit_evaluation,
    bandit_evaluation,
)
from recsys_core.ui.cache.calibration import (  # noqa: F401
    _calibration_comparison,
    _calibration_rows,
    calibration_comparison,
)
from recsys_core.ui.cache.compare import (  # noqa: F401
    _compare_records,
    _comparison,
    _per_user_frame,
    _pointwise_run,
    _tradeoff,
    compare_records,
    comparison,
    per_user_frame,
    run_labels,
    run_settings,
    shown_comparison,
    tradeoff,
)
from recsys_core.ui.cache.data import (  # noqa: F401
    _dataset_profile,
    _split_parts,
    _split_report,
    _stored_splits,
    dataset_profile,
    split_report,
    stored_splits,
)
from recsys_core.ui.cache.embeddings import (  # noqa: F401
    _embedding_points,
    _embedding_sides,
    _faiss_index,
    _similar_items,
    _user_item_lists,
    embedding_points,
    mappable_runs,
    run_embedding_sides,
    similar_items,
    user_item_lists,
)
from recsys_core.ui.cache.recommendations import (  # noqa: F401
    _run_context,
    _run_dataset,
    _run_fingerprint,
    _run_model,
    _user_inspection,
    run_context,
    run_model,
    user_descriptions,
    user_inspection,
)
from recsys_core.ui.cache.rerank import (  # noqa: F401
    _rerank_outcome,
    _rerank_session,
    _rerank_summary,
    _rerank_user_lists,
    rerank_session,
    rerank_summary,
    rerank_user_lists,
    save_rerank_run,
)
from recsys_core.ui.cache.train import (  # noqa: F401
    _architecture_table,
    _saved_run,
    architecture_table,
    identical_runs,
    rename_run,
    saved_run,
)

#: Accessors whose keys hold runs among other values (see ``delete_run``).
_RUN_SELECTION_CACHES = (
    _runs_table,
    _run_dataset,
    _embedding_points,
    _faiss_index,
    _similar_items,
    _user_item_lists,
    _run_context,
    _user_inspection,
    _rerank_session,
    _rerank_outcome,
    _rerank_summary,
    _rerank_user_lists,
    _compare_records,
    _per_user_frame,
    _comparison,
    _tradeoff,
    _calibration_rows,
    _calibration_comparison,
)


def delete_run(run_id: str) -> None:
    """Delete a run from the registry, then clear exactly the caches that hold it.

    Entries keyed by the run id alone are dropped one by one; accessors whose keys mix runs with
    other choices (negatives, users, k, run selections) or with the database stamp are cleared
    whole, since their keys cannot be listed. Dataset, split and architecture caches are kept.

    Raises:
        DataError: no such run, or other runs derive from it (delete those first).
    """
    registry.delete_run(run_id)
    db = _db()
    for accessor in (_saved_run, _run_model, _embedding_sides, _pointwise_run):
        accessor.clear(db, run_id)
    for accessor in _RUN_SELECTION_CACHES:
        accessor.clear()
