"""``mldossier.yaml``: which evidence, which catalogs, and the linking conventions.

Every setting has a default, so a project with no config file works on ``./evidence``.
Unknown keys warn; a bad value is an error naming the key.
"""

from __future__ import annotations

import json
import math
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pathspec import GitIgnoreSpec

from mldossier import data_folder
from mldossier.cache import DEFAULT_DIR_NAME, DEFAULT_MAX_BYTES
from mldossier.errors import InputError, Problem, pointer
from mldossier.formats import MIB, InputProblem
from mldossier.formats.schema import schema_problems
from mldossier.formats.yaml import parse_yaml_text

CONFIG_NAME = "mldossier.yaml"

DEFAULT_IGNORE: tuple[str, ...] = (".*", "README*", "*.md", "*.txt", "*.log", "_*")
"""Files of the evidence folder read by no importer, whatever ``evidence.ignore`` adds:
hidden files, read-me files and notes, text and logs, and names starting with ``_`` (an
export script's own request log, say). A sign-off's attachments are read all the same."""


@dataclass(frozen=True)
class Production:
    """What "in production" means: a stage or an alias, from these lists."""

    stages: tuple[str, ...] = ("Production",)
    aliases: tuple[str, ...] = ("champion",)


@dataclass(frozen=True)
class Collect:
    """Bounds of ``mldossier collect mlflow`` against a live server (``collect:``)."""

    max_pages: int = 1000
    """Pages followed per paged search; a server still paging after them stops the
    collection (``collect.max_pages``, ``--max-pages``)."""
    max_response_bytes: int = 64 * MIB
    """Largest response body read; a larger one stops the collection unread beyond it
    (``collect.max_response_mb``, ``--max-response-mb``)."""


@dataclass(frozen=True)
class TagNames:
    """MLflow tag keys the linking conventions read (each may be renamed)."""

    owner: str = "owner"
    intended_use: str = "intended_use"
    eu_ai_act_category: str = "eu_ai_act_category"
    annex_iii_point: str = "annex_iii_point"
    risk_level: str = "risk_level"
    data_classification: str = "data_classification"
    approved_by: str = "approved_by"
    approval_date: str = "approval_date"
    validation_report: str = "validation_report"
    eu_ai_act_roles: str = "eu_ai_act_roles"
    """Registered model: the organisation's roles for it (comma-separated, Art. 3)."""
    eu_ai_act_flags: str = "eu_ai_act_flags"
    """Registered model: the functional flags that hold for it (comma-separated)."""
    placed_on_market: str = "placed_on_market"
    """Registered model: the date it was first placed on the market or put into service."""
    significant_design_change: str = "significant_design_change"
    """Model version: ``true`` when it changes the system's design significantly (Art. 111(2))."""


@dataclass(frozen=True)
class Linking:
    """How records from different tools are tied together."""

    openlineage_mlflow_run_tag: str = "mlflow.run_id"
    """Key, in the OpenLineage ``tags`` run facet, holding the MLflow run id."""
    mlflow_openlineage_run_tag: str = "openlineage.run_id"
    """MLflow run tag holding the OpenLineage run id."""
    serving_job_patterns: tuple[str, ...] = ()
    """Regular expressions: OpenLineage jobs whose name matches are serving jobs."""
    target_columns: tuple[str, ...] = ("target", "label")
    """Column names that are the label, left out when comparing features."""


@dataclass(frozen=True)
class EuAiAct:
    """How the EU AI Act applies to the organisation (``eu_ai_act:``)."""

    roles: tuple[str, ...] = ("provider", "deployer")
    """The organisation's roles for every system, unless a system's tag or entry says otherwise."""
    flags: tuple[str, ...] = ()
    """Flags of the organisation (financial_institution, public_body, sme, smc) and flags
    that hold for every system."""
    systems: dict[str, dict[str, Any]] = field(default_factory=dict)
    """Per-system overrides by registered-model name: roles, flags, placed_on_market."""
    literal_readings: bool = False
    """Evaluate provisions whose date is a reading (``date_status: reading``) from their
    literal date instead of the catalog's practical date."""


@dataclass(frozen=True)
class Soc2:
    """The SOC 2 examination's scope (``soc2:``)."""

    categories: tuple[str, ...] = ("security",)
    """Trust services categories in scope: security always, the others by management's choice."""
    boundary: tuple[str, ...] = ()
    """The AI systems inside the system boundary, by name; empty means every system."""
    carved_out: tuple[str, ...] = ()
    """Subservice organisations carved out of the examination, by name."""


QUALITY_METRIC_NAMES = (
    "accuracy",
    "precision",
    "recall",
    "f1",
    "roc_auc",
    "log_loss",
    "tpr",
    "tnr",
    "fpr",
    "fnr",
    "rmse",
    "mae",
    "mape",
    "r2",
    "max_abs_error",
)
"""mldossier's names of the model-quality metrics it compares (``monitoring.quality_limits``)."""


@dataclass(frozen=True)
class Monitoring:
    """How production quality is judged against training (``monitoring:``)."""

    max_quality_drop: float = 0.10
    """Largest drop of a production quality metric from the training run's value, as a
    fraction of that value (0.10: 10 % worse); beyond it, an exception."""
    quality_warning_drop: float = 0.05
    """A drop beyond this (and within ``max_quality_drop``) is an observation."""
    quality_limits: dict[str, float] = field(default_factory=dict)
    """Bounds by metric name, in the metric's own units: a minimum for metrics where higher
    is better (accuracy, f1, r2...), a maximum for errors (rmse, fnr, log_loss...); a
    production value past its bound is an exception."""


@dataclass(frozen=True)
class Config:
    """The whole configuration, with defaults for everything."""

    path: Path | None = None
    """The config file read, or None when defaults were used."""
    organisation: str = "Example organisation"
    """Shown on the report cover."""
    evidence: Path = Path("evidence")
    """The evidence folder (relative paths are relative to the config file)."""
    systems_of_record: dict[str, bool] = field(default_factory=dict)
    """Kinds of source declared systems of record (True) or not (False), overriding the
    default: a kind present in the evidence folder is one (``evidence.systems_of_record``)."""
    evidence_ignore: tuple[str, ...] = ()
    """gitignore-style patterns of files in the evidence folder that are not evidence
    (``evidence.ignore``), after :data:`DEFAULT_IGNORE`: they add to the defaults, and
    ``!pattern`` reads a file again."""
    catalogs: tuple[Path, ...] = ()
    """Control catalogs to evaluate; empty means the bundled EU AI Act and SOC 2 catalogs."""
    max_document_bytes: int = 64 * MIB
    """Largest JSON/YAML evidence file read whole (``limits.max_document_mb``)."""
    max_stream_bytes: int = 8192 * MIB
    """Largest NDJSON file, streamed (``limits.max_stream_mb``)."""
    production: Production = Production()
    collect: Collect = Collect()
    tags: TagNames = TagNames()
    linking: Linking = Linking()
    checks: dict[str, dict[str, Any]] = field(default_factory=dict)
    """Per-check parameter overrides, by check name."""
    warn_days: int = 14
    """Warn this many days before evidence goes stale or a sign-off expires."""
    warnings: tuple[Problem, ...] = ()
    cache_dir: Path = Path(DEFAULT_DIR_NAME)
    """The build cache folder (``cache.dir``, relative paths relative to the config file)."""
    cache_max_bytes: int = DEFAULT_MAX_BYTES
    """Largest size of the build cache folder (``cache.max_mb``)."""
    eu_ai_act: EuAiAct = EuAiAct()
    soc2: Soc2 = Soc2()
    monitoring: Monitoring = Monitoring()
    allowed_signers: Path | None = None
    """The OpenSSH ``allowed_signers`` file whose keys authenticate signed sign-offs
    (``signatures.allowed_signers``, relative to the config file); None trusts no key."""

    @property
    def allowed_signers_name(self) -> str:
        """``allowed_signers`` as messages and the manifest name it: relative to the config."""
        if self.allowed_signers is None:
            return ""
        if self.path is None:
            return self.allowed_signers.as_posix()
        try:
            return Path(os.path.relpath(self.allowed_signers, self.path.parent)).as_posix()
        except ValueError:  # on another drive than the config (Windows)
            return self.allowed_signers.as_posix()


SIZES_IN_MIB = (
    ("limits", "max_document_mb", 64),
    ("limits", "max_stream_mb", 8192),
    ("cache", "max_mb", DEFAULT_MAX_BYTES // MIB),
    ("collect", "max_response_mb", Collect.max_response_bytes // MIB),
)
"""Settings that are sizes in MiB: (section, key, an example for the fix)."""


def find_config(start: Path) -> Path | None:
    """``mldossier.yaml`` in ``start``, if there is one."""
    candidate = start / CONFIG_NAME
    return candidate if candidate.is_file() else None


DEFAULT_CATALOGS = ("eu-ai-act", "soc2")
"""The bundled catalogs evaluated when the config lists none."""


def bundled_catalogs() -> dict[str, Path]:
    """The catalogs shipped with mldossier, by id (``eu-ai-act``, ``soc2``)."""
    folder = data_folder("catalogs")
    return {path.stem: path for path in sorted(folder.glob("*.yaml"))}


def _catalog_paths(entries: list[str], base: Path, rel: str) -> tuple[Path, ...]:
    """Each ``catalogs`` entry as a file: a bundled catalog's id, else a path from ``base``.

    Raises InputError naming every entry that looks like an id but is none.
    """
    bundled = bundled_catalogs()
    paths, problems = [], []
    for i, entry in enumerate(entries):
        if "/" in entry or "\\" in entry or entry.endswith((".yaml", ".yml")):
            paths.append(base / entry)
        elif entry in bundled:
            paths.append(bundled[entry])
        else:
            problems.append(
                Problem(
                    rel,
                    pointer("catalogs", i),
                    f"no bundled catalog is called {entry!r}",
                    f"use one of {', '.join(bundled)}, or the path of a .yaml file",
                )
            )
    if problems:
        raise InputError(problems)
    return tuple(paths)


def _mib(section: dict[str, Any], key: str, default_bytes: int) -> int:
    """A size given in MiB under ``key``, in bytes; the default (in bytes) when absent."""
    return int(section[key] * MIB) if key in section else default_bytes


def load_config(path: Path | None) -> Config:
    """Read and validate a config file; None gives the defaults (relative to the cwd)."""
    if path is None:
        return Config()
    rel = path.name
    data = _config_data(path, rel)
    problems = schema_problems("config", data, rel)
    warnings = [
        Problem(
            p.file,
            p.pointer,
            p.message.replace("unknown field", "unknown key"),
            "it is ignored; check its spelling",
            severity="warning",
        )
        for p in problems
        if p.message.startswith("unknown field")
    ]
    errors = [p for p in problems if not p.message.startswith("unknown field")]
    errors += _non_finite_sizes(data, rel)
    errors += _bad_patterns(data, rel)
    if errors:
        raise InputError(errors)
    return _config_of(data, path, rel, tuple(warnings))


def _config_data(path: Path, rel: str) -> Any:
    """The parsed config file (an empty one is ``{}``); an InputError if it cannot be read."""
    try:
        text = path.read_text("utf-8")
    except FileNotFoundError:
        raise InputError(
            [Problem(str(path), "", "config file not found", "check the --config path")]
        ) from None
    except UnicodeDecodeError:
        raise InputError(
            [Problem(rel, "", "config file is not UTF-8 text", "save it as UTF-8")]
        ) from None
    if len(text) > 1 * MIB:
        raise InputError(
            [
                Problem(
                    rel,
                    "",
                    "config file is over 1 MiB",
                    "a config this large is not a config; check the path",
                )
            ]
        )
    try:
        data = parse_yaml_text(text)
    except InputProblem as exc:
        raise InputError([Problem(rel, exc.pointer, exc.message, exc.fix)]) from None
    return {} if data is None else data


def _non_finite_sizes(data: Any, rel: str) -> list[Problem]:
    """Sizes in MiB that are NaN or infinite: they pass every numeric bound of a schema."""
    problems = []
    for section, key, example in SIZES_IN_MIB:
        part = data.get(section) if isinstance(data, dict) else None
        value = part.get(key) if isinstance(part, dict) else None
        # YAML writes them .nan and .inf.
        if isinstance(value, float) and not math.isfinite(value):
            problems.append(
                Problem(
                    rel,
                    pointer(section, key),
                    f"{json.dumps(value)} is not a size in MiB",
                    f"write a positive number such as {example}",
                )
            )
    return problems


def ignore_pattern_problem(pattern: str) -> str | None:
    """Why ``pattern`` cannot be an ``evidence.ignore`` entry, or None if it can."""
    try:
        spec = GitIgnoreSpec.from_lines([pattern])
    except ValueError:
        return f"{json.dumps(pattern)} is not a gitignore pattern"
    if len(spec.patterns) != 1 or spec.patterns[0].include is None:
        return f"{json.dumps(pattern)} matches nothing (it is blank, a comment or a lone /)"
    return None


def _bad_patterns(data: Any, rel: str) -> list[Problem]:
    """``evidence.ignore`` entries that are no gitignore pattern, or match nothing."""
    section = data.get("evidence") if isinstance(data, dict) else None
    patterns = section.get("ignore") if isinstance(section, dict) else None
    problems = []
    for i, pattern in enumerate(patterns if isinstance(patterns, list) else []):
        why = ignore_pattern_problem(pattern) if isinstance(pattern, str) else None
        if why is not None:
            problems.append(
                Problem(
                    rel,
                    pointer("evidence", "ignore", i),
                    why,
                    "write a pattern as in .gitignore, such as notes/ or *.csv",
                )
            )
    return problems


def _evidence_section(data: dict[str, Any]) -> tuple[str, tuple[str, ...], dict[str, bool]]:
    """The evidence folder, ``ignore`` patterns and ``systems_of_record``: ``evidence`` is a
    folder or a mapping."""
    value = data.get("evidence", "evidence")
    if isinstance(value, dict):
        return (
            value.get("dir", "evidence"),
            tuple(value.get("ignore", ())),
            dict(value.get("systems_of_record", {})),
        )
    return value, (), {}


def _config_of(data: dict[str, Any], path: Path, rel: str, warnings: tuple[Problem, ...]) -> Config:
    """The Config of a valid config file's data, paths relative to the file's folder."""
    base = path.parent
    limits = data.get("limits", {})
    cache = data.get("cache", {})
    tags = {k: v for k, v in data.get("tags", {}).items() if k in TagNames.__dataclass_fields__}
    link = data.get("linking", {})
    prod = data.get("production", {})
    bounds = data.get("collect", {})
    signatures = data.get("signatures", {})
    act = data.get("eu_ai_act", {})
    soc2 = data.get("soc2", {})
    monitoring = data.get("monitoring", {})
    folder, ignore, of_record = _evidence_section(data)
    return Config(
        path=path,
        organisation=data.get("organisation", Config.organisation),
        evidence=base / folder,
        evidence_ignore=ignore,
        systems_of_record=of_record,
        catalogs=_catalog_paths(data.get("catalogs", []), base, rel),
        max_document_bytes=_mib(limits, "max_document_mb", Config.max_document_bytes),
        max_stream_bytes=_mib(limits, "max_stream_mb", Config.max_stream_bytes),
        production=Production(
            stages=tuple(prod.get("stages", Production.stages)),
            aliases=tuple(prod.get("aliases", Production.aliases)),
        ),
        collect=Collect(
            max_pages=int(bounds.get("max_pages", Collect.max_pages)),
            max_response_bytes=_mib(bounds, "max_response_mb", Collect.max_response_bytes),
        ),
        tags=TagNames(**tags),
        linking=Linking(
            openlineage_mlflow_run_tag=link.get(
                "openlineage_mlflow_run_tag", Linking.openlineage_mlflow_run_tag
            ),
            mlflow_openlineage_run_tag=link.get(
                "mlflow_openlineage_run_tag", Linking.mlflow_openlineage_run_tag
            ),
            serving_job_patterns=tuple(link.get("serving_job_patterns", ())),
            target_columns=tuple(link.get("target_columns", Linking.target_columns)),
        ),
        checks=dict(data.get("checks", {})),
        warn_days=int(data.get("freshness", {}).get("warn_days", Config.warn_days)),
        warnings=warnings,
        cache_dir=base / cache.get("dir", DEFAULT_DIR_NAME),
        cache_max_bytes=_mib(cache, "max_mb", DEFAULT_MAX_BYTES),
        allowed_signers=base / signers if (signers := signatures.get("allowed_signers")) else None,
        eu_ai_act=EuAiAct(
            roles=tuple(act.get("roles", EuAiAct.roles)),
            flags=tuple(act.get("flags", ())),
            systems={
                name: {k: (str(v) if k == "placed_on_market" else v) for k, v in entry.items()}
                for name, entry in act.get("systems", {}).items()
            },
            literal_readings=bool(act.get("literal_readings", False)),
        ),
        soc2=Soc2(
            categories=tuple(dict.fromkeys(("security", *soc2.get("categories", ())))),
            boundary=tuple(soc2.get("boundary", ())),
            carved_out=tuple(soc2.get("carved_out", ())),
        ),
        monitoring=Monitoring(
            max_quality_drop=float(monitoring.get("max_quality_drop", Monitoring.max_quality_drop)),
            quality_warning_drop=float(
                monitoring.get("quality_warning_drop", Monitoring.quality_warning_drop)
            ),
            quality_limits={k: float(v) for k, v in monitoring.get("quality_limits", {}).items()},
        ),
    )
