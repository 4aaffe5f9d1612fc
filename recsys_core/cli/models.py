"""``models list | show``: the architectures of the model registry and their options."""

from __future__ import annotations

import argparse
from dataclasses import fields

from recsys_core.cli.output import emit, format_table
from recsys_core.cli.parser import Handlers


def models_list(args: argparse.Namespace) -> None:
    """Print every registered architecture with its stage and the data it requires."""
    from recsys_core.models import get_model_class, list_models

    rows = []
    for name in list_models():
        cls = get_model_class(name)
        rows.append(
            {"name": name, "label": cls.label, "stage": cls.stage, "requires": sorted(cls.requires)}
        )
    emit(args, {"models": rows}, format_table(rows, ["name", "label", "stage", "requires"]))


def models_show(args: argparse.Namespace) -> None:
    """Print an architecture's config options with default, bounds and help."""
    from recsys_core.models import get_model_class

    cls = get_model_class(args.name)
    rows = [
        {
            "option": f.name,
            "default": f.default,
            **{key: f.metadata[key] for key in ("min", "max", "choices") if key in f.metadata},
            "help": f.metadata.get("help", ""),
        }
        for f in fields(cls.config_class)
    ]
    payload = {"model": cls.name, "options": rows}
    emit(args, payload, format_table(rows, ["option", "default", "help"]))


HANDLERS: Handlers = {
    ("models", "list"): models_list,
    ("models", "show"): models_show,
}
