"""Sigma rule files → ``RuleSet``: compiled detections, correlations, load errors and warnings.

``load_rules(paths)`` reads ``*.yml``/``*.yaml`` files (directories are walked, multi-document
YAML is split on ``---``, so base and correlation rules may share a file), parses each document
with pySigma 2 (``sigma_documents.py``, which also lists the leniencies), applies the processing
pipeline (``ecs_pipeline()`` unless another is given), fills ``expand`` placeholders from
``placeholders``, compiles each detection (``sigma_terms.translate``, then ``matcher.compile_term``;
the terms are kept in ``DetectionRule.detection`` for the rule index) and routes it by logsource
(``logsources.yml``). ``DetectionRule.matches`` includes the routing: a caller only calls
``rule.matches(doc)``; ``DetectionRule.route`` shows the routing conditions.

Every document that cannot be used becomes a ``RuleError`` (path, title, reason); nothing raises
out of the loader. A rule that loads but sees more than its logsource says (no route for it in
``logsources.yml``, or no logsource at all) is listed in ``RuleSet.warnings``. Duplicate ids or
names are errors for the later document. A correlation fails with the rules it uses.

Rules referenced by a correlation get ``generate=False`` unless that correlation sets
``generate: true`` (Sigma correlation spec); the same holds for a correlation used by another.
This follows the author's intent even when the correlation itself fails to load, so a broken
correlation does not turn its building blocks into a flood of alerts.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from functools import partial
from pathlib import Path
from typing import TypeVar

import yaml
from sigma.collection import SigmaCollection
from sigma.correlations import SigmaCorrelationRule
from sigma.exceptions import SigmaError, SigmaRuleNotFoundError
from sigma.processing.pipeline import ProcessingPipeline
from sigma.rule import SigmaRule
from sigma.rule.base import SigmaYAMLLoader

from .correlation_rules import convert_correlation, resolve
from .logsources import LogsourceMap, default_logsources, route_predicate
from .matcher import CompileError, all_of, compile_term
from .model import DetectionRule, Logsource, RuleError, RuleSet
from .sigma_documents import ParsedDocument, parse_documents
from .sigma_pipeline import Placeholders, ecs_pipeline, placeholder_pipeline
from .sigma_terms import translate

RULE_SUFFIXES = (".yml", ".yaml")
T = TypeVar("T")


def load_rules(
    paths: Sequence[str | Path],
    *,
    pipeline: ProcessingPipeline | None = None,
    placeholders: Placeholders | None = None,
    logsources: LogsourceMap | None = None,
) -> RuleSet:
    loader = _Loader(pipeline, placeholders, logsources)
    for path in _rule_files(paths, loader.ruleset):
        try:
            text = path.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as e:
            loader.fail(str(path), None, f"cannot read the file: {e}")
            continue
        loader.read(text, str(path), path)
    return loader.finish()


def load_rule_text(
    text: str,
    *,
    path: str = "<text>",
    pipeline: ProcessingPipeline | None = None,
    placeholders: Placeholders | None = None,
    logsources: LogsourceMap | None = None,
) -> RuleSet:
    """Like ``load_rules`` for YAML text (one or several documents) held in memory."""
    loader = _Loader(pipeline, placeholders, logsources)
    loader.read(text, path, None)
    return loader.finish()


def _rule_files(paths: Sequence[str | Path], ruleset: RuleSet) -> Iterator[Path]:
    seen: set[Path] = set()  # a file named twice (or inside two given folders) is read once
    for raw in paths:
        path = Path(raw)
        if path.is_dir():
            found = sorted(p for p in path.rglob("*") if p.suffix in RULE_SUFFIXES and p.is_file())
        elif path.is_file():
            found = [path]
        else:
            ruleset.errors.append(RuleError(str(path), None, "no such file or directory"))
            continue
        for file in found:
            if file.resolve() not in seen:
                seen.add(file.resolve())
                yield file


class _Loader:
    def __init__(
        self,
        pipeline: ProcessingPipeline | None,
        placeholders: Placeholders | None,
        logsources: LogsourceMap | None,
    ) -> None:
        self.pipeline = pipeline if pipeline is not None else ecs_pipeline()
        self.placeholders = placeholder_pipeline(placeholders or {})
        self.logsources = logsources if logsources is not None else default_logsources()
        self.ruleset = RuleSet()
        self.docs: list[ParsedDocument] = []
        self.unparsed: set[str] = set()  # ids and names of documents that did not parse

    def fail(self, path: str, title: str | None, reason: str) -> None:
        self.ruleset.errors.append(RuleError(path, title, reason))

    def read(self, text: str, path: str, file: Path | None) -> None:
        try:
            documents = list(yaml.load_all(text, Loader=SigmaYAMLLoader))
        except yaml.YAMLError as e:
            self.fail(path, None, f"invalid YAML: {e}")
            return
        for index, document in enumerate(documents, 1):
            if document is None:  # empty document, e.g. after a trailing '---'
                continue
            try:
                parsed = parse_documents(document, path, file, index, self.pipeline.policy)
                self.docs.extend(parsed)
            except Exception as e:  # noqa: BLE001 - pySigma raises more than SigmaError on odd input
                fields = document if isinstance(document, dict) else {}
                title = fields.get("title")
                self.fail(path, title if isinstance(title, str) else None, _reason(e))
                self.unparsed.update(str(fields[k]) for k in ("id", "name") if fields.get(k))

    def finish(self) -> RuleSet:
        docs = self._unique(self.docs)
        collection = SigmaCollection([d.rule for d in docs], resolve_references=False)
        silenced = _silenced(docs, collection)
        unparsed = frozenset(self.unparsed)
        for doc in docs:
            if isinstance(doc.rule, SigmaCorrelationRule):
                self._guard(doc, partial(resolve, doc.rule, collection, unparsed))
        for doc in docs:
            self._guard(doc, partial(self._process, doc.rule))
        for doc in docs:
            if isinstance(doc.rule, SigmaRule):
                self._detection(doc, doc.rule, generate=id(doc.rule) not in silenced)
        self._correlations(docs, collection, silenced)
        return self.ruleset

    def _unique(self, docs: list[ParsedDocument]) -> list[ParsedDocument]:
        """Docs whose id and name no earlier doc took (the others are errors)."""
        seen: dict[str, str] = {}
        kept = []
        for doc in docs:
            keys = [doc.meta.id] + ([doc.meta.name] if doc.meta.name else [])
            clash = next((k for k in keys if k in seen), None)
            if clash is None:
                seen.update(dict.fromkeys(keys, doc.path))
                kept.append(doc)
            else:
                self.fail(
                    doc.path,
                    doc.meta.title,
                    f"duplicate rule id or name '{clash}' (first defined in {seen[clash]})",
                )
        return kept

    def _guard(self, doc: ParsedDocument, step: Callable[[], T]) -> T | None:
        """Run a step for a document not failed yet; a failure is recorded with its reason."""
        if doc.failed:
            return None
        try:
            return step()
        except Exception as e:  # noqa: BLE001 - every failure is reported, never raised
            doc.failed = True
            self.fail(doc.path, doc.meta.title, _reason(e))
            return None

    def _process(self, rule: SigmaRule | SigmaCorrelationRule) -> None:
        self.pipeline.apply(rule)
        if isinstance(rule, SigmaRule):
            self.placeholders.apply(rule)

    def _detection(self, doc: ParsedDocument, rule: SigmaRule, *, generate: bool) -> None:
        engine = self.pipeline.resolve_regex_engine()
        term = self._guard(doc, lambda: translate(rule.detection))
        if term is None:
            return
        detect = self._guard(doc, lambda: compile_term(term, regex_engine=engine))
        if detect is None:
            return
        source = rule.logsource
        logsource = Logsource(source.product, source.category, source.service)
        routing = self.logsources.route(logsource)
        self._warn_unrouted(doc, logsource, routing.unrouted)
        route = route_predicate(routing.conditions)
        matches = all_of([route, detect]) if routing.conditions else detect
        self.ruleset.detections.append(
            DetectionRule(doc.meta, logsource, matches, generate, routing.conditions, term)
        )

    def _warn_unrouted(
        self, doc: ParsedDocument, logsource: Logsource, unrouted: tuple[tuple[str, str], ...]
    ) -> None:
        if logsource == Logsource():
            reason = "no logsource: the rule sees every event"
        elif unrouted:
            names = ", ".join(f"{key}: {value}" for key, value in unrouted)
            reason = f"no route for logsource {names}; the rule sees events of any {names}"
        else:
            return
        self.ruleset.warnings.append(RuleError(doc.path, doc.meta.title, reason))

    def _correlations(
        self, docs: list[ParsedDocument], collection: SigmaCollection, silenced: set[int]
    ) -> None:
        by_rule = {id(d.rule): d for d in docs}
        correlations = [(d, d.rule) for d in docs if isinstance(d.rule, SigmaCorrelationRule)]
        self._fail_broken_chains(correlations, by_rule)
        for doc, rule in correlations:
            convert = partial(
                convert_correlation, rule, doc.meta, doc.bounds, collection=collection,
                meta_of=lambda x: by_rule[id(x)].meta, generate=id(rule) not in silenced,
            )  # fmt: skip
            converted = self._guard(doc, convert)
            if converted is not None:
                self.ruleset.correlations.append(converted)

    def _fail_broken_chains(
        self,
        correlations: list[tuple[ParsedDocument, SigmaCorrelationRule]],
        by_rule: dict[int, ParsedDocument],
    ) -> None:
        """A correlation over a rule that failed after parsing cannot work either."""
        changed = True
        while changed:  # until no failure spreads further up a chain
            changed = False
            for doc, rule in correlations:
                broken = [
                    r.reference
                    for r in rule.referenced_rules
                    if not doc.failed and by_rule[id(r.rule)].failed
                ]
                if broken:
                    doc.failed = changed = True
                    self.fail(
                        doc.path, doc.meta.title, f"uses a rule that failed to load: {broken[0]}"
                    )


def _silenced(docs: list[ParsedDocument], collection: SigmaCollection) -> set[int]:
    """Rules (by object id) that a correlation uses without ``generate: true``."""
    silenced = set()
    for doc in docs:
        rule = doc.rule
        if isinstance(rule, SigmaCorrelationRule) and not rule.generate:
            for ref in rule.rules or ():
                try:
                    silenced.add(id(collection[ref.reference]))
                except SigmaRuleNotFoundError:  # reported when references are resolved
                    pass
    return silenced


def _reason(error: Exception) -> str:
    message = str(error.args[0]) if error.args else type(error).__name__
    known = isinstance(error, (SigmaError, CompileError))
    return message if known else f"{type(error).__name__}: {message}"
