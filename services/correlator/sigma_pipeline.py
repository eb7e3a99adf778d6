"""Vigie's pySigma processing pipelines.

``ecs_pipeline()`` maps Sigma field names to ECS; its content is data (``ecs_pipeline.yml``, or
another YAML file a configuration names) in pySigma's own pipeline format, with conditions on
the rule's logsource kept apart from the mappings. ``placeholder_pipeline(values)`` fills the
``%name%`` placeholders of the ``expand`` modifier from a mapping; placeholders it does not know
are left for the matcher to refuse, so such a rule fails to load instead of matching nothing.
"""

from __future__ import annotations

import warnings
from collections.abc import Mapping, Sequence
from pathlib import Path

from sigma.processing.pipeline import ProcessingItem, ProcessingPipeline
from sigma.processing.transformations import ValueListPlaceholderTransformation

DEFAULT_PIPELINE = Path(__file__).with_name("ecs_pipeline.yml")

Placeholders = Mapping[str, Sequence[str | int] | str | int]


def ecs_pipeline(path: str | Path | None = None) -> ProcessingPipeline:
    """The Sigma → ECS field mapping (the packaged one unless a YAML file is named)."""
    source = Path(path) if path is not None else DEFAULT_PIPELINE
    with warnings.catch_warnings():
        # pySigma 2.0.1 parses rule_cond_expr with a pyparsing call pyparsing 3.3 deprecates.
        warnings.filterwarnings("ignore", "'parseString' deprecated", DeprecationWarning)
        return ProcessingPipeline.from_yaml(source.read_text(encoding="utf-8"), str(source))


def passthrough_pipeline() -> ProcessingPipeline:
    """No field mapping: rules see events that already use the rule's own field names."""
    return ProcessingPipeline()


def placeholder_pipeline(values: Placeholders) -> ProcessingPipeline:
    """Replace the placeholders named in ``values`` by their values (ORed)."""
    item = ProcessingItem(ValueListPlaceholderTransformation(include=list(values)))
    return ProcessingPipeline([item], vars={k: _as_list(v) for k, v in values.items()})


def _as_list(value: Sequence[str | int] | str | int) -> list[str | int]:
    return [value] if isinstance(value, (str, int)) else list(value)
