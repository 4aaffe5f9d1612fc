"""Training losses shared by the torch models: pairwise BPR and the L2 penalty on looked-up rows.

Losses take scores and embeddings, never modules, so any ``<Name>Net`` can be trained with any
of them. Shape legend: B batch, D dim.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F


def bpr_loss(pos_scores: torch.Tensor, neg_scores: torch.Tensor) -> torch.Tensor:
    """Bayesian personalised ranking loss, mean of -log σ(s_ui - s_uj) (Rendle et al. 2009).

    Args:
        pos_scores: (B,) scores of observed (user, item) pairs.
        neg_scores: (B,) scores of the same users with sampled unobserved items.

    Returns:
        A scalar tensor.
    """
    return -F.logsigmoid(pos_scores - neg_scores).mean()


def l2_penalty(*rows: torch.Tensor) -> torch.Tensor:
    """Squared L2 norm of a batch's looked-up rows, summed over tensors and averaged over the batch.

    Regularising only the rows a batch touches (rather than whole tables through weight decay) keeps
    the penalty per training example, as in the papers' SGD updates, whatever the batch size.

    Args:
        rows: (B, D) or (B,) tensors with the same batch size B.

    Returns:
        A scalar tensor: sum of squares of all ``rows`` divided by B.
    """
    batch_size = rows[0].shape[0]
    return sum(r.pow(2).sum() for r in rows) / batch_size
