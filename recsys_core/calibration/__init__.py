"""Calibration of ranking runs: turn a ranker's logits into probabilities that mean what they say.

One job per module: ``base`` (the ``Calibrator`` protocol and its JSON + safetensors files),
``platt``, ``isotonic`` and ``bayesian`` (the methods), ``methods`` (build or load one by name),
``reliability`` (reliability curves, ECE, MCE, Brier score, log loss), ``downsampling`` (negative
downsampling and its correction), ``rows`` (the validation and test rows), ``model`` (a ranker
behind a calibrator) and ``runs`` (``calibrate_run``: a saved run of kind ``calibrated``).
Nothing is imported here, so that a ranker importing ``downsampling`` loads no scikit-learn.
"""
