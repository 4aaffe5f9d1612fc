"""Candidate-generation (retrieval) architectures."""
