"""The offline bandit report as one long table: a row per policy and estimator, for charts."""

from __future__ import annotations

import pandas as pd

from recsys_core.bandits.evaluation import BanditReport

#: Estimators in the order the report shows them, with their display names.
ESTIMATORS: dict[str, str] = {"replay": "Replay", "ips": "IPS", "snips": "SNIPS"}
#: Policies as a person reads them.
POLICY_LABELS: dict[str, str] = {
    "linucb": "LinUCB",
    "thompson": "Thompson sampling",
    "logging": "Logging policy",
    "random": "Uniform random",
}
ESTIMATE_COLUMNS = (
    "policy",
    "estimator",
    "estimate",
    "low",
    "high",
    "true_ctr",
    "contains_truth",
    "n",
)


def estimates_frame(report: BanditReport) -> pd.DataFrame:
    """Columns ``ESTIMATE_COLUMNS``: each policy's estimates with their 95% interval, its true
    CTR and whether the interval holds it; estimators that do not apply (replay of the logging
    policy) have no row."""
    rows = []
    for name, policy in report.policies.items():
        for key, estimator in ESTIMATORS.items():
            estimate = getattr(policy, key)
            if estimate is None:
                continue
            rows.append(
                {
                    "policy": POLICY_LABELS.get(name, name),
                    "estimator": estimator,
                    "estimate": estimate.value,
                    "low": estimate.low,
                    "high": estimate.high,
                    "true_ctr": policy.true_ctr,
                    "contains_truth": estimate.contains(policy.true_ctr),
                    "n": estimate.n,
                }
            )
    return pd.DataFrame(rows, columns=list(ESTIMATE_COLUMNS))
