"""The offline bandit evaluation of a dataset's log, computed once per dataset content."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from recsys_core.bandits.evaluation import BanditReport, evaluate_bandits
from recsys_core.bandits.tables import estimates_frame
from recsys_core.ui.cache._shared import _db, dataset, fingerprint


@st.cache_data(max_entries=4, show_spinner=False)
def _bandit_evaluation(db: str, name: str, content: str) -> tuple[BanditReport, pd.DataFrame]:
    report = evaluate_bandits(dataset(name))
    return report, estimates_frame(report)


def bandit_evaluation(name: str) -> tuple[BanditReport, pd.DataFrame]:
    """LinUCB and Thompson sampling fitted on the early log and estimated on the late one
    (``bandits.evaluation``), with the estimates as a table; DataError without propensities."""
    return _bandit_evaluation(_db(), name, fingerprint(name))
