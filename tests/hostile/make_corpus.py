"""Make the hostile-input corpus from the real sample exports.

The corpus is not committed: ``tests/test_hostile_corpus.py`` (through the ``hostile_corpus``
fixture of ``tests/conftest.py``) runs this once per test session into a temporary folder.
To look at the files, run ``python tests/hostile/make_corpus.py OUT`` from the repository
root: it writes every corpus file under ``OUT`` (``OUT/syntax/empty.json`` and so on).

The output is deterministic: the same bytes in every run (a test compares two runs, one in
another process with another hash seed). Nothing here reads the clock, the environment or a
random source; JSON keeps the insertion order of dicts and gzip is written with ``mtime=0``.
Each case starts from a real export in ``tests/reference/samples`` (or a minimal document of
mldossier's own formats) and breaks one thing. What each case should give is pinned in
``cases.yaml``, not here: this script only makes the files. The ``generated/`` cases (a 2 GiB
sparse file, a million-digit number, megabytes of YAML, symlinks, a pipe, a 5,000-run lineage
chain) are made by ``tests/test_hostile_corpus.py`` in each case's own folder as it runs.
"""

from __future__ import annotations

import copy
import gzip
import json
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
SAMPLES = HERE.parent / "reference" / "samples"
REST = SAMPLES / "mlflow" / "rest"
MLMODEL = SAMPLES / "mlflow" / "model_artifacts" / "m-d2b056cd5d8b4103a43cc372e1e28fb1" / "MLmodel"
EVENTS = SAMPLES / "openlineage" / "events.ndjson"
DRIFT = SAMPLES / "evidently" / "data_drift_report.json"
FULL = SAMPLES / "evidently" / "data_drift_report.full_snapshot.json"

KINDS = (
    "syntax",
    "mlflow",
    "openlineage",
    "evidently",
    "signoff",
    "waiver",
    "collection-log",
    "catalog",
    "config",
)
RUN_ID = "3f5e1b2a-1111-4222-8333-444455556666"
PRODUCER = "https://github.com/OpenLineage/OpenLineage/tree/1.54.0/client/python"
RUN_EVENT = "https://openlineage.io/spec/2-0-2/OpenLineage.json#/$defs/RunEvent"


def rest(name: str) -> Any:
    """A real MLflow REST response, parsed."""
    return json.loads((REST / name).read_text("utf-8"))


def events() -> list[dict[str, Any]]:
    """The real OpenLineage events, parsed."""
    return [json.loads(line) for line in EVENTS.read_text("utf-8").splitlines() if line.strip()]


def dump(value: Any) -> str:
    """JSON as the tools write it; NaN and Infinity stay as the bare words Python writes."""
    return json.dumps(value, indent=2, ensure_ascii=False) + "\n"


def line(value: Any) -> str:
    """One NDJSON line."""
    return json.dumps(value, ensure_ascii=False) + "\n"


class Corpus:
    """Collects the files to write, refusing to write one path twice."""

    def __init__(self) -> None:
        self.files: dict[str, bytes] = {}

    def put(self, rel: str, content: str | bytes) -> None:
        assert rel not in self.files, rel
        self.files[rel] = content.encode("utf-8") if isinstance(content, str) else content

    def write(self, root: Path) -> None:
        """Write every file under ``root`` (a file already holding its bytes is left alone)."""
        for rel, content in sorted(self.files.items()):
            path = root / rel
            path.parent.mkdir(parents=True, exist_ok=True)
            if not path.exists() or path.read_bytes() != content:
                path.write_bytes(content)


# ---------------------------------------------------------------- minimal documents


def signoff(**changes: Any) -> dict[str, Any]:
    """A valid sign-off about breast-cancer-classifier, with changes (None removes a key)."""
    doc: dict[str, Any] = {
        "mldossier": "signoff/v1",
        "id": "RA-2026-001",
        "kind": "risk_assessment",
        "title": "Risk assessment, breast-cancer-classifier",
        "subject": {"system": "breast-cancer-classifier"},
        "statement": "Risks identified, evaluated and mitigated.",
        "signed_by": "Dana Whitfield",
        "role": "Chief Risk Officer",
        "date": "2026-10-12",
    }
    for key, value in changes.items():
        if value is None:
            doc.pop(key, None)
        else:
            doc[key] = value
    return doc


def yaml_text(doc: dict[str, Any]) -> str:
    """A small mapping as YAML, every scalar written as a JSON literal (valid YAML)."""
    lines = []
    for key, value in doc.items():
        if isinstance(value, dict):
            lines.append(f"{key}:")
            lines += [f"  {k}: {json.dumps(v, ensure_ascii=False)}" for k, v in value.items()]
        elif isinstance(value, list):
            lines.append(f"{key}:")
            lines += [f"  - {json.dumps(v, ensure_ascii=False)}" for v in value]
        else:
            lines.append(f"{key}: {json.dumps(value, ensure_ascii=False)}")
    return "\n".join(lines) + "\n"


def waiver(**changes: Any) -> dict[str, Any]:
    """One valid waiver entry, with changes (None removes a key)."""
    item: dict[str, Any] = {
        "id": "W-2026-001",
        "control": "EUAIA-15-1",
        "subject": "breast-cancer-classifier@2",
        "justification": "Robustness tests are scheduled for the next retraining.",
        "owner": "risk-analytics",
        "approver": "Chief Risk Officer",
        "compensating_control": "Monthly manual review of flagged cases.",
        "granted": "2026-10-01",
        "expires": "2027-01-31",
    }
    for key, value in changes.items():
        if value is None:
            item.pop(key, None)
        else:
            item[key] = value
    return item


def waivers_yaml(*items: dict[str, Any]) -> str:
    out = ["mldossier: waiver/v1", "waivers:"]
    for item in items:
        first = True
        for key, value in item.items():
            out.append(f"  {'- ' if first else '  '}{key}: {json.dumps(value)}")
            first = False
    return "\n".join(out) + "\n"


def event(**changes: Any) -> dict[str, Any]:
    """A minimal valid RunEvent, with changes (None removes a key)."""
    doc: dict[str, Any] = {
        "eventTime": "2026-11-27T10:10:07.756027+00:00",
        "eventType": "START",
        "producer": PRODUCER,
        "schemaURL": RUN_EVENT,
        "run": {"runId": RUN_ID},
        "job": {"namespace": "clinical-ml", "name": "train"},
        "inputs": [],
        "outputs": [],
    }
    for key, value in changes.items():
        if value is None:
            doc.pop(key, None)
        else:
            doc[key] = value
    return doc


def io(namespace: str, name: str, **facets: Any) -> dict[str, Any]:
    return {"namespace": namespace, "name": name, "facets": facets}


def facet(kind: str, version: str, **fields: Any) -> dict[str, Any]:
    return {
        "_producer": PRODUCER,
        "_schemaURL": f"https://openlineage.io/spec/facets/{version}/{kind}.json#/$defs/{kind}",
        **fields,
    }


CATALOG = """\
catalog:
  id: hostile
  title: Hostile test catalog
  framework: Test
  version: "1"
  source: https://example.org/hostile
controls:
  - id: HOST-1
    title: Every system has an owner
    reference: T.1
    requirement: The system has a named owner.
    applies_to:
      subject: system
    checks:
      - check: owner_assigned
    severity: medium
    mode: automated
"""


def catalog_with(control_extra: str = "", replace: tuple[str, str] | None = None) -> str:
    text = CATALOG + control_extra
    if replace is not None:
        assert replace[0] in text, replace
        text = text.replace(*replace)
    return text


# ---------------------------------------------------------------- the cases


def syntax_cases(c: Corpus) -> None:
    """Parser-level damage, the same whatever kind of export the file was meant to be."""
    search = (REST / "registered_models_search.json").read_text("utf-8")
    put = c.put
    put("syntax/empty.json", b"")
    put("syntax/whitespace-only.json", "  \n\t\n")
    put("syntax/truncated-half.json", search[: len(search) // 2])
    put("syntax/truncated-mid-string.json", '{"registered_model": {"name": "breast-can')
    put("syntax/truncated-after-colon.json", '{"registered_model": {"name":')
    put("syntax/truncated-one-brace-short.json", search.rstrip()[:-1])
    put("syntax/trailing-comma.json", '{"registered_model": {"name": "m",}}\n')
    put("syntax/single-quotes.json", "{'registered_model': {'name': 'm'}}\n")
    put("syntax/comments.json", '// exported by hand\n{"registered_model": {"name": "m"}}\n')
    put(
        "syntax/two-documents.json",
        '{"registered_model": {"name": "a"}}\n'
        '{"registered_model": {"name": "b"}}\n'
        '{"registered_model": {"name": "c"}\n',
    )
    put("syntax/unquoted-key.json", '{registered_model: {"name": "m"}}\n')
    put("syntax/raw-control-character.json", '{"registered_model": {"name": "a\tb"}}\n')
    put(
        "syntax/duplicate-key-top.json",
        '{"registered_model": {"name": "a"}, "registered_model": {"name": "b"}}\n',
    )
    put(
        "syntax/duplicate-key-nested.json",
        '{"registered_model": {"name": "a", "description": "x", "name": "b"}}\n',
    )
    put("syntax/nan-document.json", "NaN\n")
    put("syntax/infinity-as-name.json", '{"registered_model": {"name": Infinity}}\n')
    put(
        "syntax/minus-infinity-timestamp.json",
        '{"registered_model": {"name": "m", "creation_timestamp": -Infinity}}\n',
    )
    put(
        "syntax/float-overflow-timestamp.json",
        '{"registered_model": {"name": "m", "creation_timestamp": 1e400}}\n',
    )
    put("syntax/deep-arrays.json", "[" * 10_000 + "]" * 10_000 + "\n")
    put("syntax/deep-objects.json", '{"a":' * 10_000 + "1" + "}" * 10_000 + "\n")
    put(
        "syntax/int-4300-digits.json",
        '{"registered_model": {"name": "m", "creation_timestamp": ' + "9" * 4300 + "}}\n",
    )
    put(
        "syntax/int-5001-digits.json",
        '{"registered_model": {"name": "m", "creation_timestamp": 1' + "0" * 5000 + "}}\n",
    )
    put("syntax/bom-utf8.json", b"\xef\xbb\xbf" + search.encode("utf-8"))
    put("syntax/utf16-le-bom.json", search.encode("utf-16"))
    put("syntax/utf16-be.json", search.encode("utf-16-be"))
    put("syntax/latin1.json", '{"registered_model": {"name": "caf\xe9"}}\n'.encode("latin-1"))
    put(
        "syntax/invalid-utf8-in-string.json",
        b'{"registered_model": {"name": "m", "description": "\xff\xfe broken"}}\n',
    )
    put("syntax/nul-bytes.json", b'{"registered_model": \x00\x00{"name": "m"}}\n')
    put("syntax/gzip.json", gzip.compress(search.encode("utf-8"), mtime=0))
    put(
        "syntax/lone-surrogate.json",
        '{"registered_model": {"name": "m", "description": "lone \\ud800 half"}}\n',
    )
    put("syntax/yaml-in-json.json", "registered_model:\n  name: m\n")
    put("syntax/top-level-string.json", '"registered_model"\n')
    put("syntax/top-level-numbers.json", "[1, 2, 3]\n")
    put("syntax/top-level-null.json", "null\n")
    put("syntax/empty-object.json", "{}\n")
    put("syntax/empty-array.json", "[]\n")
    # YAML
    put("syntax/empty.yaml", b"")
    put("syntax/comment-only.yaml", "# nothing here\n")
    put("syntax/truncated-flow.yaml", "mldossier: signoff/v1\nsubject: {system: [a, b\n")
    put("syntax/bad-indent.yaml", "mldossier: signoff/v1\nsubject:\n  system: a\n version: b\n")
    put("syntax/tab-indent.yaml", "mldossier: signoff/v1\nsubject:\n\tsystem: a\n")
    put(
        "syntax/billion-laughs.yaml",
        "\n".join(
            ['a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]']
            + [
                f"{x}: &{x} [{','.join(['*' + p] * 9)}]"
                for p, x in zip("abcdefgh", "bcdefghi", strict=True)
            ]
        )
        + "\n",
    )
    put("syntax/one-alias.yaml", "mldossier: signoff/v1\nid: &id RA-1\ntitle: *id\n")
    put(
        "syntax/merge-key.yaml",
        "base: &base {kind: risk_assessment}\nmldossier: signoff/v1\n<<: *base\n",
    )
    put(
        "syntax/python-object-apply.yaml",
        "mldossier: signoff/v1\ntitle: !!python/object/apply:os.system ['touch /tmp/pwned']\n",
    )
    put("syntax/python-name.yaml", "mldossier: signoff/v1\ntitle: !!python/name:os.system\n")
    put(
        "syntax/python-object-new.yaml",
        "mldossier: signoff/v1\ntitle: !!python/object/new:subprocess.Popen [['id']]\n",
    )
    put("syntax/custom-tag.yaml", "mldossier: signoff/v1\ntitle: !Ref SomeResource\n")
    put("syntax/duplicate-key.yaml", yaml_text(signoff()) + 'id: "RA-2026-002"\n')
    put("syntax/complex-key.yaml", "? [a, b]\n: value\nmldossier: signoff/v1\n")
    put("syntax/deep-flow.yaml", "[" * 10_000 + "]" * 10_000 + "\n")
    put("syntax/deep-mappings.yaml", "a: " + "{a: " * 10_000 + "1" + "}" * 10_000 + "\n")
    put("syntax/int-5001-digits.yaml", yaml_text(signoff()) + "expires: 1" + "0" * 5000 + "\n")
    put("syntax/two-documents.yaml", yaml_text(signoff()) + "---\n" + yaml_text(signoff()))
    put("syntax/latin1.yaml", yaml_text(signoff(statement="café")).encode("latin-1"))
    put("syntax/utf16.yaml", yaml_text(signoff()).encode("utf-16"))
    put("syntax/nul-bytes.yaml", b"mldossier: signoff/v1\x00\nid: x\n")
    # NDJSON
    first = EVENTS.read_text("utf-8").splitlines()
    put("syntax/empty.ndjson", b"")
    put("syntax/blank-lines.ndjson", "\n\n   \n")
    put("syntax/truncated-last-line.ndjson", "\n".join(first[:3]) + "\n" + first[3][:200])
    put("syntax/garbage-first-line.ndjson", "this is a log, not events\n" + first[0] + "\n")
    put("syntax/nan-token.ndjson", line(event()).replace('"inputs": []', '"inputs": NaN'))
    put("syntax/deep.ndjson", "[" * 10_000 + "]" * 10_000 + "\n" + line(event()))
    put(
        "syntax/int-5001-digits.ndjson",
        line(event()).replace('"inputs": []', '"x": 1' + "0" * 5000 + ', "inputs": []'),
    )
    put("syntax/not-utf8.ndjson", line(event()).encode("utf-8").replace(b"train", b"tr\xe9in"))
    put("syntax/lone-surrogate.ndjson", line(event()).replace("train", "tr\\ud800in"))


def mlflow_cases(c: Corpus) -> None:
    """MLflow REST responses and MLmodel files: types, missing fields, repeats, contradictions."""
    put = c.put
    put(
        "mlflow/registered-models-not-a-list.json",
        dump({"registered_models": {"name": "breast-cancer-classifier"}}),
    )
    put(
        "mlflow/unknown-top-level-key.json",
        dump({**rest("registered_models_search.json"), "exported_by": "hand"}),
    )
    rm = rest("registered_models_get__breast-cancer-classifier.json")

    def rm_with(path: str, **fields: Any) -> str:
        doc = copy.deepcopy(rm)
        target = doc["registered_model"]
        for key, value in fields.items():
            if value is None:
                target.pop(key, None)
            else:
                target[key] = value
        return dump(doc)

    put("mlflow/registered-model-name-missing.json", rm_with("", name=None))
    put("mlflow/registered-model-name-number.json", rm_with("", name=42))
    put("mlflow/registered-model-name-empty.json", rm_with("", name=""))
    put("mlflow/registered-model-tags-not-list.json", rm_with("", tags={"owner": "alice"}))
    put("mlflow/registered-model-tag-without-key.json", rm_with("", tags=[{"value": "alice"}]))
    put(
        "mlflow/registered-model-tag-value-number.json",
        rm_with("", tags=[{"key": "owner", "value": 7}]),
    )
    put(
        "mlflow/registered-model-timestamp-string.json",
        rm_with("", creation_timestamp="1795774031282"),
    )
    put(
        "mlflow/registered-model-timestamp-iso.json",
        rm_with("", creation_timestamp="2026-11-27T10:07:11Z"),
    )
    put("mlflow/registered-model-timestamp-negative.json", rm_with("", creation_timestamp=-1))
    put(
        "mlflow/registered-model-timestamp-year-10000.json",
        rm_with("", last_updated_timestamp=253402300800000),
    )
    put(
        "mlflow/registered-model-timestamp-float.json",
        rm_with("", creation_timestamp=1795774031282.5),
    )
    put("mlflow/registered-model-aliases-wrong-shape.json", rm_with("", aliases=["champion"]))
    put(
        "mlflow/registered-model-latest-versions-not-objects.json",
        rm_with("", latest_versions=["1", "2"]),
    )
    mv = rest("model_versions_get__breast-cancer-classifier__v2.json")

    def mv_with(**fields: Any) -> str:
        doc = copy.deepcopy(mv)
        for key, value in fields.items():
            if value is None:
                doc["model_version"].pop(key, None)
            else:
                doc["model_version"][key] = value
        return dump(doc)

    put("mlflow/model-version-version-int.json", mv_with(version=2))
    put("mlflow/model-version-name-missing.json", mv_with(name=None))
    put("mlflow/model-version-aliases-string.json", mv_with(aliases="champion"))
    put("mlflow/model-version-tags-null.json", mv_with(tags=None))
    put("mlflow/model-version-stage-number.json", mv_with(current_stage=3))
    put(
        "mlflow/model-version-source-traversal.json",
        mv_with(source="../../../../etc/passwd", run_id=None),
    )
    run = rest("runs_get__da3a687298b540b5bda2d5c88308f3e1.json")

    def run_with(change: Any) -> str:
        doc = copy.deepcopy(run)
        change(doc["run"])
        return dump(doc)

    put("mlflow/run-info-missing.json", run_with(lambda r: r.pop("info")))
    put("mlflow/run-id-null.json", run_with(lambda r: r["info"].update(run_id=None)))
    put(
        "mlflow/run-metric-value-string.json",
        run_with(lambda r: r["data"]["metrics"][0].update(value="0.97")),
    )
    put(
        "mlflow/run-metric-nan-and-infinity.json",
        run_with(
            lambda r: (
                r["data"]["metrics"][0].update(value=float("nan")),
                r["data"]["metrics"][1].update(value=float("inf")),
                r["data"]["metrics"][2].update(value=float("-inf")),
            )
        ),
    )
    put(
        "mlflow/run-dataset-source-not-json.json",
        run_with(
            lambda r: r["inputs"]["dataset_inputs"][0]["dataset"].update(source="not json at all")
        ),
    )
    put(
        "mlflow/run-dataset-source-json-array.json",
        run_with(lambda r: r["inputs"]["dataset_inputs"][0]["dataset"].update(source="[1, 2]")),
    )
    put(
        "mlflow/run-dataset-schema-deep.json",
        run_with(
            lambda r: r["inputs"]["dataset_inputs"][0]["dataset"].update(
                schema="[" * 5000 + "]" * 5000
            )
        ),
    )
    put(
        "mlflow/run-dataset-colspec-not-list.json",
        run_with(
            lambda r: r["inputs"]["dataset_inputs"][0]["dataset"].update(
                schema='{"mlflow_colspec": {"name": "x"}}'
            )
        ),
    )
    put(
        "mlflow/run-dataset-missing-digest.json",
        run_with(lambda r: r["inputs"]["dataset_inputs"][0]["dataset"].pop("digest")),
    )
    put(
        "mlflow/run-outputs-model-id-number.json",
        run_with(lambda r: r["outputs"]["model_outputs"][0].update(model_id=5)),
    )
    lm = rest("logged_models_get__m-d2b056cd5d8b4103a43cc372e1e28fb1.json")
    for name, value in (
        ("not-json", "[{name: broken"),
        ("object", '{"name": "breast-cancer-classifier", "version": 2}'),
        ("bad-entries", '[{"name": 5, "version": true}, "x"]'),
    ):
        doc = copy.deepcopy(lm)
        for tag in doc["model"]["info"]["tags"]:
            if tag["key"] == "mlflow.modelVersions":
                tag["value"] = value
        put(f"mlflow/logged-model-versions-tag-{name}.json", dump(doc))
    put(
        "mlflow/error-response.json",
        (REST / "error_registered_models_get_missing.json").read_text("utf-8"),
    )
    put(
        "mlflow/error-response-extra-key.json",
        dump({"error_code": "INTERNAL_ERROR", "message": "boom", "stack_trace": "..."}),
    )
    put(
        "mlflow/experiments-wrong-types.json",
        dump({"experiments": [{"experiment_id": 1, "name": ["x"], "tags": "t"}]}),
    )
    mlmodel = MLMODEL.read_text("utf-8")
    put("mlflow/mlmodel-truncated/MLmodel", mlmodel[: len(mlmodel) // 3])
    put(
        "mlflow/mlmodel-signature-not-json/MLmodel",
        mlmodel.replace("signature:\n  inputs: '", "signature:\n  inputs: 'not json ", 1),
    )
    put(
        "mlflow/mlmodel-signature-object/MLmodel",
        _replace_signature(mlmodel, '\'{"type": "double", "name": "x"}\''),
    )
    put(
        "mlflow/mlmodel-signature-specs-not-objects/MLmodel",
        _replace_signature(mlmodel, "'[1, \"two\", null]'"),
    )
    put(
        "mlflow/mlmodel-flavors-list/MLmodel",
        "flavors: [python_function]\nrun_id: da3a687298b540b5bda2d5c88308f3e1\n",
    )
    put(
        "mlflow/mlmodel-python-tag/MLmodel",
        mlmodel.replace(
            "mlflow_version: 3.17.2", "mlflow_version: !!python/object/apply:os.getcwd []"
        ),
    )
    for name, value in (
        ("garbage", "'last tuesday'"),
        ("offset-overflow", "'0001-01-01 00:00:00+01:00'"),
        ("number", "20261127"),
    ):
        put(
            f"mlflow/mlmodel-time-{name}/MLmodel",
            _replace_line(mlmodel, "utc_time_created:", f"utc_time_created: {value}"),
        )
    # Pages that repeat or contradict each other.
    page = rest("model_versions_search_paged_page1.json")
    put("mlflow/repeated-pages/page1.json", dump(page))
    put("mlflow/repeated-pages/page1-again.json", dump(page))
    put("mlflow/repeated-pages/same-version-get.json", dump(mv))
    contradiction = copy.deepcopy(mv)
    contradiction["model_version"].update(
        run_id="0c420392191248f0b715bc938040629b", status="FAILED_REGISTRATION"
    )
    put("mlflow/contradicting-pages/version-get.json", dump(mv))
    put("mlflow/contradicting-pages/version-get-other-export.json", dump(contradiction))
    alias_a = rest("registered_models_get__breast-cancer-classifier.json")
    alias_b = copy.deepcopy(alias_a)
    for alias in alias_b["registered_model"].get("aliases", []):
        if alias["alias"] == "champion":
            alias["version"] = "3"
    put("mlflow/contradicting-aliases/registered-model.json", dump(alias_a))
    put("mlflow/contradicting-aliases/registered-model-later.json", dump(alias_b))
    tags_a = copy.deepcopy(mv)
    tags_b = copy.deepcopy(mv)
    tags_b["model_version"]["tags"] = [{"key": "approved_by", "value": "someone-else"}]
    put("mlflow/contradicting-tags/a.json", dump(tags_a))
    put("mlflow/contradicting-tags/b.json", dump(tags_b))
    moved = copy.deepcopy(mv)
    moved["model_version"]["last_updated_timestamp"] += 60_000
    moved["model_version"]["current_stage"] = "Archived"
    put("mlflow/stage-moved-between-exports/before.json", dump(mv))
    put("mlflow/stage-moved-between-exports/after.json", dump(moved))


def _replace_signature(mlmodel: str, inputs: str) -> str:
    start = mlmodel.index("signature:\n")
    end = mlmodel.index("\n", mlmodel.index("  outputs:", start))
    return mlmodel[:start] + f"signature:\n  inputs: {inputs}\n  outputs: null" + mlmodel[end:]


def _replace_line(text: str, prefix: str, new: str) -> str:
    lines = text.splitlines()
    index = next(i for i, item in enumerate(lines) if item.startswith(prefix))
    lines[index] = new
    return "\n".join(lines) + "\n"


def openlineage_cases(c: Corpus) -> None:
    """RunEvents: bad fields, odd times, out of order, unknown runs, cycles."""
    put = c.put
    real = EVENTS.read_text("utf-8")
    put("openlineage/truncated-mid-line.ndjson", real[: len(real) * 2 // 3])
    put(
        "openlineage/event-not-an-object.ndjson",
        line(event()) + '[]\n1\n"text"\nnull\n' + line(event(eventType="COMPLETE")),
    )
    put("openlineage/run-id-missing.json", dump(event(run={})))
    put("openlineage/run-id-not-uuid.json", dump(event(run={"runId": "run-42"})))
    put("openlineage/run-not-object.json", dump(event(run=[RUN_ID])))
    put(
        "openlineage/job-name-number.json",
        dump(event(job={"namespace": "clinical-ml", "name": 42})),
    )
    put(
        "openlineage/inputs-not-list.json",
        dump(event(inputs={"namespace": "file", "name": "/data/x.csv"})),
    )
    put("openlineage/input-without-name.json", dump(event(inputs=[{"namespace": "file"}])))
    put("openlineage/event-type-bogus.json", dump(event(eventType="FINISHED")))
    put("openlineage/event-time-missing.json", dump(event(eventTime=None)))
    for name, value in (
        ("no-zone", "2026-11-27T10:10:07"),
        ("lower-case", "2026-11-27t10:10:07z"),
        ("space", "2026-11-27 10:10:07Z"),
        ("offset-24", "2026-11-27T10:10:07+24:00"),
        ("leap-second", "2026-12-31T23:59:60Z"),
        ("leap-second-wrong-minute", "2026-11-27T10:10:60Z"),
        ("year-0", "0000-01-01T00:00:00Z"),
        ("leap-second-year-9999", "9999-12-31T23:59:60Z"),
        ("epoch-number", 1795774207),
        ("date-only", "2026-11-27"),
        ("feb-30", "2026-02-30T00:00:00Z"),
        ("nanoseconds", "2026-11-27T10:10:07.123456789Z"),
    ):
        put(f"openlineage/event-time-{name}.json", dump(event(eventTime=value)))
    put("openlineage/producer-not-uri.json", dump(event(producer="my laptop")))
    put(
        "openlineage/standard-facet-bad-content.json",
        dump(
            event(
                inputs=[
                    io(
                        "file",
                        "/data/x.csv",
                        schema=facet("SchemaDatasetFacet", "1-2-0", fields="not a list"),
                    )
                ]
            )
        ),
    )
    put(
        "openlineage/older-facet-bad-content.json",
        dump(
            event(
                inputs=[
                    io(
                        "file",
                        "/data/x.csv",
                        schema=facet("SchemaDatasetFacet", "1-1-1", fields="not a list"),
                    )
                ]
            )
        ),
    )
    put(
        "openlineage/custom-facet-garbage.json",
        dump(
            event(
                run={
                    "runId": RUN_ID,
                    "facets": {
                        "weird": {
                            "_producer": "me",
                            "_schemaURL": "https://example.org/x.json",
                            "nested": {"a": [1, {"b": None}]},
                            "nan": float("nan"),
                        }
                    },
                }
            )
        ),
    )
    put(
        "openlineage/parent-facet-wrong-types.json",
        dump(
            event(
                run={
                    "runId": RUN_ID,
                    "facets": {
                        "parent": {
                            "_producer": PRODUCER,
                            "_schemaURL": "https://openlineage.io/spec/facets/1-0-0/ParentRunFacet.json"
                            "#/$defs/ParentRunFacet",
                            "run": "x",
                            "job": 5,
                        }
                    },
                }
            )
        ),
    )
    put(
        "openlineage/facet-not-object.json",
        dump(event(run={"runId": RUN_ID, "facets": {"nominalTime": "yesterday"}})),
    )
    put("openlineage/array-with-bad-element.json", dump([event(), 5, None, event(run={})]))
    put("openlineage/empty-array.json", "[]\n")
    put(
        "openlineage/dataset-event.json",
        dump(
            {
                "eventTime": "2026-11-27T10:10:07Z",
                "producer": PRODUCER,
                "schemaURL": "https://openlineage.io/spec/2-0-2/OpenLineage.json#/$defs/DatasetEvent",
                "dataset": {"namespace": "file", "name": "/data/x.csv"},
            }
        ),
    )
    put(
        "openlineage/job-event.json",
        dump(
            {
                "eventTime": "2026-11-27T10:10:07Z",
                "producer": PRODUCER,
                "schemaURL": "https://openlineage.io/spec/2-0-2/OpenLineage.json#/$defs/JobEvent",
                "job": {"namespace": "clinical-ml", "name": "train"},
            }
        ),
    )
    put(
        "openlineage/event-with-nan.json",
        dump(
            event(
                outputs=[
                    io(
                        "file",
                        "/data/out.csv",
                        dataQualityMetrics=facet(
                            "DataQualityMetricsInputDatasetFacet",
                            "1-0-3",
                            rowCount=10,
                            columnMetrics={
                                "x": {"nullCount": 0, "min": float("nan"), "max": float("inf")}
                            },
                        ),
                    )
                ]
            )
        ),
    )
    # Order and identity.
    real_lines = [item for item in real.splitlines() if item.strip()]
    put("openlineage/reversed-order.ndjson", "\n".join(reversed(real_lines)) + "\n")
    put("openlineage/duplicated-events.ndjson", "\n".join(real_lines + real_lines) + "\n")
    put("openlineage/complete-for-unknown-run.ndjson", line(event(eventType="COMPLETE")))
    put(
        "openlineage/parent-run-unknown.ndjson",
        line(
            event(
                run={
                    "runId": RUN_ID,
                    "facets": {
                        "parent": facet(
                            "ParentRunFacet",
                            "1-2-0",
                            run={"runId": "99999999-9999-4999-8999-999999999999"},
                            job={"namespace": "nowhere", "name": "ghost"},
                        )
                    },
                }
            )
        ),
    )
    put(
        "openlineage/mlflow-tag-unknown-run.ndjson",
        line(
            event(
                run={
                    "runId": RUN_ID,
                    "facets": {
                        "tags": facet(
                            "TagsRunFacet",
                            "1-0-0",
                            tags=[
                                {
                                    "key": "mlflow.run_id",
                                    "value": "ffffffffffffffffffffffffffffffff",
                                    "source": "USER",
                                }
                            ],
                        )
                    },
                }
            )
        ),
    )
    put(
        "openlineage/end-before-start.ndjson",
        line(event(eventType="COMPLETE", eventTime="2026-11-27T09:00:00Z"))
        + line(event(eventType="START", eventTime="2026-11-27T10:00:00Z")),
    )
    put(
        "openlineage/run-changes-job.ndjson",
        line(event())
        + line(
            event(
                eventType="COMPLETE",
                eventTime="2026-11-27T11:00:00Z",
                job={"namespace": "clinical-ml", "name": "other"},
            )
        ),
    )
    cycle = []
    for i, (src, dst) in enumerate((("a", "b"), ("b", "c"), ("c", "a"))):
        rid = f"00000000-0000-4000-8000-00000000000{i}"
        for kind, minute in (("START", 0), ("COMPLETE", 5)):
            cycle.append(
                event(
                    eventType=kind,
                    eventTime=f"2026-11-27T1{i}:0{minute}:00Z",
                    run={"runId": rid},
                    job={"namespace": "loop", "name": f"job-{i}"},
                    inputs=[io("file", f"/data/{src}.csv")],
                    outputs=[io("file", f"/data/{dst}.csv")],
                )
            )
    # The cycle feeds a training job, so tracing the model version upstream walks it.
    cycle.append(
        event(
            eventType="COMPLETE",
            eventTime="2026-11-27T14:00:00Z",
            run={"runId": "00000000-0000-4000-8000-000000000009"},
            job={"namespace": "loop", "name": "train"},
            inputs=[io("file", "/data/a.csv")],
            outputs=[io("mlflow", "models:/breast-cancer-classifier/2")],
        )
    )
    put("openlineage/cycle/events.ndjson", "".join(line(e) for e in cycle))
    put(
        "openlineage/cycle/registered-model.json",
        (REST / "registered_models_get__breast-cancer-classifier.json").read_text("utf-8"),
    )
    put(
        "openlineage/cycle/version.json",
        (REST / "model_versions_get__breast-cancer-classifier__v2.json").read_text("utf-8"),
    )
    deep: Any = {"leaf": True}
    for _ in range(900):
        deep = {"d": deep}
    put(
        "openlineage/custom-facet-depth-900.json",
        dump(
            event(
                run={
                    "runId": RUN_ID,
                    "facets": {
                        "deep": {
                            "_producer": "me",
                            "_schemaURL": "https://example.org/deep.json",
                            "deep": deep,
                        }
                    },
                }
            )
        ),
    )
    put(
        "openlineage/self-loop.ndjson",
        line(
            event(
                eventType="COMPLETE",
                inputs=[io("file", "/data/a.csv")],
                outputs=[io("file", "/data/a.csv")],
            )
        ),
    )


def evidently_cases(c: Corpus) -> None:
    """Evidently snapshot.json() reports and full snapshots."""
    put = c.put
    text = DRIFT.read_text("utf-8")
    put("evidently/truncated-report.json", text[: len(text) // 2])
    drift = json.loads(text)
    full = json.loads(FULL.read_text("utf-8"))

    def metric_index(doc: dict[str, Any], kind: str) -> int:
        return next(i for i, m in enumerate(doc["metrics"]) if m["config"]["type"].endswith(kind))

    def report(change: Any) -> str:
        doc = copy.deepcopy(drift)
        change(doc)
        return dump(doc)

    vd = metric_index(drift, ":ValueDrift")
    dc = metric_index(drift, ":DriftedColumnsCount")
    put("evidently/metrics-not-list.json", dump({"metrics": {}, "tests": []}))
    put("evidently/extra-top-level-key.json", dump({**drift, "timestamp": "2026-11-27"}))
    put("evidently/metric-config-missing.json", report(lambda d: d["metrics"][vd].pop("config")))
    put(
        "evidently/value-drift-score-string.json",
        report(lambda d: d["metrics"][vd].update(value="0.01")),
    )
    put(
        "evidently/value-drift-score-nan.json",
        report(lambda d: d["metrics"][vd].update(value=float("nan"))),
    )
    put(
        "evidently/value-drift-score-infinity.json",
        report(lambda d: d["metrics"][vd].update(value=float("inf"))),
    )
    put(
        "evidently/value-drift-threshold-nan.json",
        report(lambda d: d["metrics"][vd]["config"].update(threshold=float("nan"))),
    )
    put(
        "evidently/value-drift-column-missing.json",
        report(lambda d: d["metrics"][vd]["config"].pop("column")),
    )
    put(
        "evidently/value-drift-method-unknown.json",
        report(
            lambda d: (
                d["metrics"][vd]["config"].update(method="astrology"),
                d.update(
                    tests=[
                        t
                        for t in d["tests"]
                        if t.get("metric_config", {}).get("metric_id") != d["metrics"][vd]["id"]
                    ]
                ),
            )
        ),
    )
    put(
        "evidently/drifted-count-nan.json",
        report(lambda d: d["metrics"][dc]["value"].update(count=float("nan"))),
    )
    put(
        "evidently/drifted-count-infinity.json",
        report(lambda d: d["metrics"][dc]["value"].update(count=float("inf"))),
    )
    put(
        "evidently/drifted-share-nan.json",
        report(lambda d: d["metrics"][dc]["value"].update(share=float("nan"))),
    )
    put(
        "evidently/drifted-value-not-object.json",
        report(lambda d: d["metrics"][dc].update(value=4)),
    )
    put("evidently/test-status-bogus.json", report(lambda d: d["tests"][0].update(status="MAYBE")))
    put(
        "evidently/test-metric-config-string.json",
        report(lambda d: d["tests"][0].update(metric_config="x")),
    )
    ftext = FULL.read_text("utf-8")
    put("evidently/full-truncated.json", ftext[: len(ftext) // 2])

    def member(key: str, value: Any) -> str:
        """One top-level member as ``dump`` writes it inside an object (``  "key": ...``)."""
        return dump({key: value})[len("{\n") : -len("\n}\n")]

    # The full snapshot is 1.8 MB and its variants change one top-level key: its members are
    # encoded once and reused (the bytes are those of ``dump`` on the changed copy).
    members = {key: member(key, value) for key, value in full.items()}

    def snapshot(**changes: Any) -> str:
        parts = dict(members)
        for key, value in changes.items():
            if value is None:
                parts.pop(key, None)
            else:
                parts[key] = member(key, value)
        return "{\n" + ",\n".join(parts.values()) + "\n}\n" if parts else dump({})

    for name, value in (
        ("no-zone", "2026-11-27T10:11:34.138247"),
        ("zulu", "2026-11-27T10:11:34Z"),
        ("space", "2026-11-27 10:11:34"),
        ("date-only", "2026-11-27"),
        ("offset-overflow", "0001-01-01T00:00:00+01:00"),
        ("month-13", "2026-13-01T00:00:00"),
        ("number", 1795774294),
    ):
        put(f"evidently/full-timestamp-{name}.json", snapshot(timestamp=value))
    put(
        "evidently/full-listed-metric-missing.json",
        snapshot(top_level_metrics=[*full["top_level_metrics"], "no-such-metric"]),
    )
    put("evidently/full-metric-results-list.json", snapshot(metric_results=[]))
    put(
        "evidently/full-metadata-model-number.json",
        snapshot(metadata={"model": 5, "model_version": 2}),
    )
    put(
        "evidently/full-metadata-unknown-model.json",
        snapshot(metadata={"model": "no-such-model", "model_version": "9"}),
    )


def signoff_cases(c: Corpus) -> None:
    """Sign-offs: required fields, types, dates in odd forms, attachments that leave the folder."""
    put = c.put

    def so(rel: str, **changes: Any) -> None:
        put(f"signoff/{rel}", yaml_text(signoff(**changes)))

    put("signoff/attachments/risk-assessment.md", "# Risk assessment\n\nSigned.\n")
    so("valid-with-attachment.yaml", attachments=["attachments/risk-assessment.md"])
    so("missing-required.yaml", title=None, signed_by=None, date=None)
    so("kind-unknown.yaml", kind="vibe_check")
    put(
        "signoff/subject-string.yaml",
        yaml_text(signoff()).replace(
            'subject:\n  system: "breast-cancer-classifier"', 'subject: "breast-cancer-classifier"'
        ),
    )
    put(
        "signoff/version-number.yaml",
        yaml_text(signoff()).replace(
            '  system: "breast-cancer-classifier"',
            '  system: "breast-cancer-classifier"\n  version: 2',
        ),
    )
    so("unknown-field.yaml", approved=True)
    so("format-v2.yaml", mldossier="signoff/v2")
    put("signoff/yaml-booleans.yaml", yaml_text(signoff()).replace('id: "RA-2026-001"', "id: yes"))
    put(
        "signoff/unquoted-date.yaml",
        yaml_text(signoff()).replace('date: "2026-10-12"', "date: 2026-10-12"),
    )
    put(
        "signoff/timestamp-tag-invalid.yaml",
        yaml_text(signoff()).replace('date: "2026-10-12"', "date: !!timestamp 2026-13-45"),
    )
    put(
        "signoff/int-tag-invalid.yaml",
        yaml_text(signoff()).replace('id: "RA-2026-001"', "id: !!int RA-2026-001"),
    )
    put(
        "signoff/timestamp-tag.yaml",
        yaml_text(signoff()).replace('date: "2026-10-12"', "date: !!timestamp 2026-10-12"),
    )
    for name, value in (
        ("feb-30", "2026-02-30"),
        ("basic-format", "20261012"),
        ("us-format", "10/12/2026"),
        ("hour-25", "2026-10-12T25:00:00Z"),
        ("week-date", "2026-W41-1"),
        ("no-zone", "2026-10-12T14:30"),
        ("nanoseconds", "2026-10-12T14:30:00.123456789Z"),
        ("offset-overflow", "0001-01-01T00:00:00+01:00"),
        ("offset-overflow-end", "9999-12-31T23:59:59-01:00"),
    ):
        so(f"date-{name}.yaml", date=value)
    so("expires-before-date.yaml", expires="2026-01-01")
    for name, ref in (
        ("dotdot", "../../outside.txt"),
        ("absolute", "/etc/passwd"),
        ("url", "https://example.org/risk.pdf"),
        ("file-url", "file:///etc/passwd"),
        ("windows", "C:\\Windows\\win.ini"),
        ("missing", "attachments/nope.pdf"),
        ("folder", "attachments"),
        ("empty", ""),
        ("long-name", "a" * 300),
    ):
        so(f"attachment-{name}.yaml", attachments=[ref])
    so("attachments-not-list.yaml", attachments="attachments/risk-assessment.md")
    put("signoff/duplicate-ids/first.yaml", yaml_text(signoff()))
    put("signoff/duplicate-ids/second.yaml", yaml_text(signoff(title="Another")))
    put("signoff/json-form.json", dump(signoff(title=float("nan"))))


def waiver_cases(c: Corpus) -> None:
    """Waivers (``mldossier: waiver/v1``)."""
    put = c.put
    put("waiver/valid.yaml", waivers_yaml(waiver()))
    put("waiver/missing-fields.yaml", waivers_yaml(waiver(approver=None, expires=None)))
    put("waiver/empty-list.yaml", "mldossier: waiver/v1\nwaivers: []\n")
    put("waiver/waivers-not-list.yaml", "mldossier: waiver/v1\nwaivers: W-2026-001\n")
    put("waiver/granted-not-a-date.yaml", waivers_yaml(waiver(granted="last week")))
    put("waiver/granted-feb-30.yaml", waivers_yaml(waiver(granted="2026-02-30")))
    put("waiver/expires-basic-format.yaml", waivers_yaml(waiver(expires="20270131")))
    put("waiver/expires-before-granted.yaml", waivers_yaml(waiver(expires="2026-01-01")))
    put("waiver/approver-is-owner.yaml", waivers_yaml(waiver(approver=" Risk-Analytics ")))
    put("waiver/duplicate-id-in-file.yaml", waivers_yaml(waiver(), waiver(control="EUAIA-9-1")))
    put("waiver/unknown-field.yaml", waivers_yaml(waiver(note="x")))
    put("waiver/format-v2.yaml", waivers_yaml(waiver()).replace("waiver/v1", "waiver/v2"))
    put(
        "waiver/unquoted-dates.yaml",
        waivers_yaml(waiver())
        .replace('"2026-10-01"', "2026-10-01")
        .replace('"2027-01-31"', "2027-01-31"),
    )
    put("waiver/duplicate-ids/a.yaml", waivers_yaml(waiver()))
    put("waiver/duplicate-ids/b.yaml", waivers_yaml(waiver(control="EUAIA-9-1")))


def collection_log_cases(c: Corpus) -> None:
    """Collection logs: listed files outside the folder, missing or changed files."""
    put = c.put

    def log(*calls: dict[str, Any]) -> str:
        return dump({"mldossier": "collection-log/v1", "collector": "hand", "calls": list(calls)})

    sha = "0" * 64
    put(
        "collection-log/calls-not-list.json",
        dump({"mldossier": "collection-log/v1", "calls": {"file": "x.json"}}),
    )
    for name, ref in (
        ("dotdot", "../../../etc/passwd"),
        ("absolute", "/etc/passwd"),
        ("url", "http://169.254.169.254/latest/meta-data/"),
        ("missing", "not-collected.json"),
        ("long-name", "b" * 300),
    ):
        put(f"collection-log/{name}.json", log({"file": ref, "sha256": sha}))
    put(
        "collection-log/changed/registered-models.json",
        (REST / "registered_models_search.json").read_text("utf-8"),
    )
    put("collection-log/changed/log.json", log({"file": "registered-models.json", "sha256": sha}))
    put("collection-log/call-not-object.json", log("x", 5, None))  # type: ignore[arg-type]


def catalog_cases(c: Corpus) -> None:
    """Control catalogs (``controls/*.yaml`` format), given with ``check --controls``."""
    put = c.put
    put("catalog/empty.yaml", b"")
    put("catalog/truncated.yaml", CATALOG[: len(CATALOG) // 2])
    put("catalog/not-utf8.yaml", CATALOG.replace("Hostile", "H\xf6stile").encode("latin-1"))
    put("catalog/not-yaml.yaml", "catalog: {id: [\n")
    put("catalog/alias.yaml", catalog_with(replace=("  id: hostile", "  id: &i hostile\n  x: *i")))
    put(
        "catalog/python-tag.yaml",
        catalog_with(
            replace=("title: Hostile test catalog", "title: !!python/object/apply:os.system ['id']")
        ),
    )
    put(
        "catalog/duplicate-key.yaml",
        catalog_with(replace=('  version: "1"', '  version: "1"\n  version: "2"')),
    )
    put("catalog/top-level-list.yaml", "- catalog\n- controls\n")
    put("catalog/controls-missing.yaml", CATALOG.split("controls:")[0])
    put("catalog/catalog-id-bad.yaml", catalog_with(replace=("id: hostile", "id: Hostile Catalog")))
    put("catalog/version-number.yaml", catalog_with(replace=('version: "1"', "version: 1")))
    put(
        "catalog/control-id-missing.yaml",
        catalog_with(replace=("  - id: HOST-1\n    title", "  - title")),
    )
    put(
        "catalog/unknown-check.yaml",
        catalog_with(replace=("check: owner_assigned", "check: rm_rf")),
    )
    put(
        "catalog/check-wrong-subject.yaml",
        catalog_with(replace=("check: owner_assigned", "check: no_drift")),
    )
    put("catalog/duplicate-control-id.yaml", CATALOG + CATALOG.split("controls:\n")[1])
    put(
        "catalog/stage-on-system.yaml",
        catalog_with(
            replace=("      subject: system", "      subject: system\n      stage: production")
        ),
    )
    put(
        "catalog/out-of-scope-with-signoff.yaml",
        catalog_with(
            replace=(
                "    checks:\n      - check: owner_assigned\n    severity: medium\n    mode: automated",
                "    severity: medium\n    mode: out_of_scope\n    rationale: Not ML evidence.\n"
                "    signoff: risk_assessment",
            )
        ),
    )
    put(
        "catalog/out-of-scope-with-checks.yaml",
        catalog_with(
            replace=(
                "    mode: automated",
                "    mode: out_of_scope\n    rationale: Not ML evidence.",
            )
        ),
    )
    put(
        "catalog/severity-bogus.yaml",
        catalog_with(replace=("severity: medium", "severity: apocalyptic")),
    )
    put(
        "catalog/params-wrong-type.yaml",
        catalog_with(
            replace=(
                "      - check: owner_assigned",
                "      - check: owner_assigned\n        params: 5",
            )
        ),
    )
    put(
        "catalog/max-age-string.yaml",
        catalog_with(
            replace=("    mode: automated", "    mode: automated\n    max_evidence_age_days: soon")
        ),
    )
    put(
        "catalog/source-not-uri.yaml",
        catalog_with(replace=("source: https://example.org/hostile", "source: the internet")),
    )
    put(
        "catalog/int-5001-digits.yaml",
        catalog_with(
            replace=(
                "    mode: automated",
                "    mode: automated\n    max_evidence_age_days: 1" + "0" * 5000,
            )
        ),
    )
    put("catalog/deep.yaml", "catalog: " + "[" * 10_000 + "]" * 10_000 + "\n")
    put(
        "catalog/application-date-bad.yaml",
        catalog_with(
            replace=(
                "  source: https://example.org/hostile",
                "  source: https://example.org/hostile\n  application_dates:\n"
                "    - obligations: all\n      date: 2026-02-30",
            )
        ),
    )


def config_cases(c: Corpus) -> None:
    """``mldossier.yaml``, given with ``--config``."""
    put = c.put
    put("config/empty.yaml", b"")
    put("config/truncated.yaml", "limits:\n  max_document_mb: [1,\n")
    put("config/not-utf8.yaml", "organisation: Caf\xe9 Ltd\n".encode("latin-1"))
    put("config/top-level-list.yaml", "- evidence\n")
    put("config/unknown-key.yaml", "organisation: Example\nevidance: ./evidence\n")
    put("config/limits-negative.yaml", "limits:\n  max_document_mb: -1\n")
    put("config/limits-string.yaml", "limits:\n  max_stream_mb: lots\n")
    put("config/limits-infinite.yaml", "limits:\n  max_document_mb: .inf\n")
    put("config/limits-nan.yaml", "limits:\n  max_stream_mb: .nan\n")
    put("config/limits-tiny.yaml", "limits:\n  max_document_mb: 0.000001\n")
    put("config/tags-not-mapping.yaml", "tags: [owner]\n")
    put("config/production-stages-string.yaml", "production:\n  stages: Production\n")
    put("config/bad-regex.yaml", "linking:\n  serving_job_patterns: ['serve(']\n")
    put("config/catalog-missing.yaml", "catalogs: [no-such-catalog.yaml]\n")
    put("config/check-params-wrong.yaml", "checks:\n  monitoring_fresh:\n    max_age_days: soon\n")
    put("config/python-tag.yaml", "organisation: !!python/object/apply:os.getcwd []\n")
    put("config/alias.yaml", "organisation: &o Example\ntags:\n  owner: *o\n")
    put("config/duplicate-key.yaml", "organisation: A\norganisation: B\n")
    put("config/int-5001-digits.yaml", "limits:\n  max_document_mb: 1" + "0" * 5000 + "\n")
    put("config/deep.yaml", "checks: " + "[" * 10_000 + "]" * 10_000 + "\n")


def corpus() -> Corpus:
    """Every corpus file."""
    c = Corpus()
    for make in (
        syntax_cases,
        mlflow_cases,
        openlineage_cases,
        evidently_cases,
        signoff_cases,
        waiver_cases,
        collection_log_cases,
        catalog_cases,
        config_cases,
    ):
        make(c)
    return c


if __name__ == "__main__":
    import sys

    if len(sys.argv) != 2:
        sys.exit("usage: python tests/hostile/make_corpus.py OUT  (writes the corpus under OUT)")
    out = Path(sys.argv[1]).resolve()
    if out == HERE:
        sys.exit("the corpus is not committed: write it outside tests/hostile/")
    made = corpus()
    made.write(out)
    print(f"{len(made.files)} corpus files in {out}")
