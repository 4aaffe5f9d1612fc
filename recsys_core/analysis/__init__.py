"""Analyses of fitted models: 2-D projections of embeddings and the facts shown with each point."""
