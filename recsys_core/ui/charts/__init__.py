"""Altair chart builders: pure functions (frames in, ``alt.Chart`` out), testable without a browser.

One module per view: ``data`` (Data page), ``training`` (Train page), ``embeddings``,
``recommendations``, ``compare``. Every chart has a title saying what is plotted on which data,
and tooltips.
"""
