"""Waivers, baselines and the manifest: what makes the output something an auditor can rely on."""

from __future__ import annotations

import base64
import hashlib
import json
import shutil
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import factories as f
import pytest

from mldossier.bundle.manifest import (
    MANIFEST_NAME,
    sign_manifest,
    verify_bundle,
    write_manifest,
)
from mldossier.errors import UsageError
from mldossier.evaluate.baseline import compare
from mldossier.evaluate.catalog import CheckRef, Control, Scope
from mldossier.evaluate.verdicts import Verdict, apply_waivers
from mldossier.formats.json import report_id_of
from mldossier.model import Waiver
from mldossier.pipeline import inputs_section
from mldossier.status import Status, gate

CONTROL = Control(
    "SOC2-CC8-1",
    "soc2",
    "SOC 2",
    "Change management",
    "CC8.1",
    "req",
    Scope("version"),
    (CheckRef("production_version_approved", {}),),
    None,
    "high",
    None,
    "automated",
    "",
    (),
    "/controls/0",
)


def verdict(status: str, subject: str = "credit-default-scorer@3") -> Verdict:
    return Verdict(
        CONTROL,
        subject,
        "version",
        subject.split("@")[0],
        Status(status),
        ("no approval",),
        (),
        "approve it",
        (),
    )


def waiver(expires: str = "2027-01-31", subject: str = "credit-default-scorer@3") -> Waiver:
    return Waiver(
        "W-1",
        "SOC2-CC8-1",
        subject,
        "hotfix under review",
        "risk-team",
        "cro",
        "manual review of every decision",
        date(2026, 11, 1),
        date.fromisoformat(expires),
        f.cite("waivers/w.yaml", "/waivers/0"),
    )


AS_OF = datetime(2026, 11, 20, tzinfo=UTC)


def test_a_waived_exception_is_waived_never_no_exception() -> None:
    (v,) = apply_waivers([verdict("exception")], (waiver(),), AS_OF)
    assert v.status == "waived"
    assert v.reasons[0] == (
        "exception waived by waiver W-1 (owner risk-team, approved by cro, until "
        "2027-01-31): hotfix under review; compensating control: manual "
        "review of every decision"
    )
    assert v.citations[-1].file == "waivers/w.yaml"


def test_an_expired_waiver_is_an_exception() -> None:
    (v,) = apply_waivers([verdict("exception")], (waiver("2026-11-19"),), AS_OF)
    assert v.status == "exception"
    assert v.reasons[0] == (
        "waiver W-1 (owner risk-team, approved by cro, until 2026-11-19) expired on 2026-11-19"
    )
    assert v.fix == "renew or close the waiver; approve it"
    # An expired waiver does not hide what it covered, whatever that was.
    (observed,) = apply_waivers([verdict("observation")], (waiver("2026-11-19"),), AS_OF)
    assert observed.status == "exception"


def test_a_waiver_on_a_conforming_verdict_changes_nothing_but_says_so() -> None:
    (v,) = apply_waivers([verdict("no_exception")], (waiver(),), AS_OF)
    assert v.status == "no_exception"
    assert v.reasons[-1] == (
        "waiver W-1 (owner risk-team, approved by cro, until 2027-01-31) is not needed: "
        "no exception was found"
    )


def test_a_waiver_for_a_system_covers_its_versions_and_not_other_systems() -> None:
    (v,) = apply_waivers([verdict("exception")], (waiver(subject="credit-default-scorer"),), AS_OF)
    assert v.status == "waived"
    (other,) = apply_waivers(
        [verdict("exception", "income-verifier@2")],
        (waiver(subject="credit-default-scorer"),),
        AS_OF,
    )
    assert other.status == "exception"


def results_doc(statuses: dict[str, str], files: dict[str, str]) -> dict[str, object]:
    return {
        "as_of": "2026-11-20T00:00:00+00:00",
        "results": [
            {
                "control": c.split("::")[0],
                "subject": c.split("::")[1],
                "status": s,
                "reference": "CC8.1",
                "title": "t",
            }
            for c, s in statuses.items()
        ],
        "subjects": [{"name": c.split("::")[1], "kind": "version"} for c in statuses],
        "evidence": {"files": [{"path": p, "sha256": h} for p, h in files.items()]},
        "catalogs": [{"id": "soc2", "sha256": "a"}],
    }


def test_baseline_diff_names_flips_subjects_and_evidence() -> None:
    old = results_doc(
        {"C1::m@1": "no_exception", "C2::m@1": "exception", "C1::old@1": "no_exception"},
        {"a.json": "1", "b.json": "2"},
    )
    new = results_doc(
        {"C1::m@1": "exception", "C2::m@1": "no_exception", "C1::new@1": "exception"},
        {"a.json": "1", "b.json": "3", "c.json": "4"},
    )
    changes = compare(old, new, "old.json")
    assert changes.lines() == [
        "C1 CC8.1 [m@1]: no_exception → exception (regression)",
        "C2 CC8.1 [m@1]: exception → no_exception",
        "C1 CC8.1 [new@1]: new, exception",
        "subject added: new@1",
        "subject retired: old@1",
        "evidence changed: b.json",
        "evidence added: c.json",
    ]
    assert [r.control for r in changes.regressions] == ["C1", "C1"]


def test_a_new_observation_is_a_regression_only_when_the_gate_takes_observations() -> None:
    old = results_doc({"C1::m@1": "no_exception"}, {"a.json": "1"})
    new = results_doc(
        {"C1::m@1": "observation", "C2::m@1": "observation", "C3::m@1": "exception"},
        {"a.json": "1"},
    )
    changes = compare(old, new, "old.json")
    assert [(f.control, f.after) for f in changes.gating()] == [("C3", "exception")]
    # With --fail-on observation a new observation fails like one that was no exception before.
    assert [(f.control, f.after) for f in changes.gating(gate(fail_on=["observation"]))] == [
        ("C1", "observation"),
        ("C2", "observation"),
        ("C3", "exception"),
    ]
    # What the change lists and counts for people stays the default gate's.
    assert [r.control for r in changes.regressions] == ["C3"]


def test_a_regression_is_a_status_that_got_worse() -> None:
    old = results_doc(
        {
            "C1::m@1": "no_exception",
            "C2::m@1": "exception",
            "C3::m@1": "not_evidenced",
            "C4::m@1": "exception",
            "C5::m@1": "no_exception",
        },
        {"a.json": "1"},
    )
    new = results_doc(
        {
            "C1::m@1": "not_evidenced",  # evidence that was there is gone
            "C2::m@1": "error",  # the tool could not evaluate: always worse
            "C3::m@1": "exception",  # a request became a contradiction
            "C4::m@1": "not_evidenced",  # milder than before
            "C5::m@1": "not_assessed",  # worse, but neither gating nor not evidenced
        },
        {"a.json": "1"},
    )
    changes = compare(old, new, "old.json")
    assert [f.control for f in changes.gating()] == ["C1", "C2", "C3"]
    assert [f.control for f in changes.regressions] == ["C1", "C2", "C3"]
    # --fail-on not_assessed makes the fifth gate as well.
    assert [f.control for f in changes.gating(gate(fail_on=["not_assessed"]))] == [
        "C1",
        "C2",
        "C3",
        "C5",
    ]


def test_a_baseline_of_the_old_vocabulary_is_read_as_its_nearest_statuses() -> None:
    old = results_doc(
        {"C1::m@1": "pass", "C2::m@1": "fail", "C3::m@1": "warn", "C4::m@1": "manual"},
        {"a.json": "1"},
    )
    new = results_doc(
        {
            "C1::m@1": "exception",  # pass → exception: a regression
            "C2::m@1": "exception",  # fail → exception: the same, not a regression
            "C3::m@1": "exception",  # warn → exception: a regression
            "C4::m@1": "not_assessed",  # manual → not_assessed: the same
        },
        {"a.json": "1"},
    )
    changes = compare(old, new, "old.json")
    assert [f.control for f in changes.gating()] == ["C1", "C3"]
    assert [f.control for f in changes.gating(gate(strict=True, fail_on=["not_assessed"]))] == [
        "C1",
        "C3",
    ]


def make_bundle(tmp_path: Path) -> Path:
    bundle = tmp_path / "site"
    (bundle / "evidence-files").mkdir(parents=True)
    (bundle / "index.html").write_text("<h1>report</h1>")
    (bundle / "evidence-files" / "a.json").write_text('{"a": 1}')
    (bundle / "report.pdf").write_bytes(b"%PDF-1.7 fake")
    inputs = inputs_section([{"path": "a.json", "sha256": "0" * 64}], [], "")
    write_manifest(bundle, inputs, "2026-11-20T00:00:00+00:00")
    return bundle


def test_verify_an_intact_bundle(tmp_path: Path) -> None:
    bundle = make_bundle(tmp_path)
    result = verify_bundle(bundle)
    assert result.intact
    manifest = json.loads((bundle / MANIFEST_NAME).read_text())
    assert result.report_id == manifest["report_id"] == report_id_of(manifest["inputs"])


@pytest.mark.parametrize("victim", ["index.html", "evidence-files/a.json", "report.pdf"])
def test_verify_names_a_flipped_byte(tmp_path: Path, victim: str) -> None:
    bundle = make_bundle(tmp_path)
    path = bundle / victim
    data = bytearray(path.read_bytes())
    data[0] ^= 1
    path.write_bytes(bytes(data))
    result = verify_bundle(bundle)
    assert not result.intact and result.modified == (victim,)


def test_verify_names_missing_and_extra_files(tmp_path: Path) -> None:
    bundle = make_bundle(tmp_path)
    (bundle / "index.html").unlink()
    (bundle / "planted.js").write_text("alert(1)")
    result = verify_bundle(bundle)
    assert (result.missing, result.extra) == (("index.html",), ("planted.js",))


def test_verify_notices_a_rewritten_inputs_section(tmp_path: Path) -> None:
    bundle = make_bundle(tmp_path)
    manifest = json.loads((bundle / MANIFEST_NAME).read_text())
    manifest["inputs"]["config_sha256"] = "forged"
    (bundle / MANIFEST_NAME).write_text(json.dumps(manifest))
    # The Statement, made from the manifest as it was, no longer matches it either.
    assert verify_bundle(bundle).modified == (MANIFEST_NAME, "manifest.intoto.json")


def test_verify_without_a_manifest_is_unusable(tmp_path: Path) -> None:
    with pytest.raises(UsageError, match="no manifest"):
        verify_bundle(tmp_path)


def test_signed_manifest_verifies_and_a_tampered_one_does_not(tmp_path: Path) -> None:
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

    key = Ed25519PrivateKey.generate()
    key_path, pub_path = tmp_path / "key.pem", tmp_path / "pub.pem"
    key_path.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    pub_path.write_bytes(
        key.public_key().public_bytes(
            serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
        )
    )
    bundle = make_bundle(tmp_path)
    sign_manifest(bundle, key_path)
    assert verify_bundle(bundle, pub_path).signature == "valid"
    manifest = bundle / MANIFEST_NAME
    manifest.write_text(manifest.read_text().replace("report.pdf", "report.pdx"))
    result = verify_bundle(bundle, pub_path)
    assert result.signature == "invalid" and not result.intact
    envelope = json.loads((bundle / "manifest.intoto.jsonl").read_text())
    assert len(base64.b64decode(envelope["signatures"][0]["sig"])) == 64


def test_in_toto_statement_lists_every_output(tmp_path: Path) -> None:
    bundle = make_bundle(tmp_path)
    statement = json.loads((bundle / "manifest.intoto.json").read_text())
    assert statement["_type"] == "https://in-toto.io/Statement/v1"
    assert [s["name"] for s in statement["subject"]] == [
        "evidence-files/a.json",
        "index.html",
        "manifest.json",
        "report.pdf",
    ]


def test_the_manifest_accounts_for_every_file_with_its_role_and_verify_still_holds(
    tmp_path: Path,
) -> None:
    from click.testing import CliRunner
    from conftest import DEMO_EVIDENCE

    from mldossier.cli import main

    evidence = tmp_path / "evidence"
    shutil.copytree(DEMO_EVIDENCE / "mlflow", evidence / "mlflow")
    (evidence / "README.md").write_text("# Exported by the nightly job\n")
    (evidence / "mlflow" / "_requests.json").write_text('[{"status": 200}]')
    (evidence / "notes.json").write_text('{"todo": "drift reports"}')
    runner = CliRunner()

    def build(out: Path) -> dict[str, Any]:
        done = runner.invoke(
            main,
            ["build", "--no-pdf", "--no-cache", "--evidence", str(evidence), "--out", str(out)],
        )
        assert done.exit_code == 0, done.output
        manifest: dict[str, Any] = json.loads((out / MANIFEST_NAME).read_text())
        return manifest

    manifest = build(tmp_path / "site")
    listed = {e["path"]: e for e in manifest["inputs"]["evidence"]}
    on_disk = {p.relative_to(evidence).as_posix() for p in evidence.rglob("*") if p.is_file()}
    assert set(listed) == on_disk
    assert {p: e["role"] for p, e in listed.items() if e["role"] != "evidence"} == {
        "README.md": "ignored",
        "mlflow/_requests.json": "ignored",
        "notes.json": "not_evidence",
    }
    assert listed["notes.json"]["reason"] == "no importer reads its shape"
    assert listed["mlflow/_requests.json"]["reason"] == (
        "matches `_*`, a default of evidence.ignore"
    )
    for path, entry in listed.items():
        digest = hashlib.sha256((evidence / path).read_bytes()).hexdigest()
        assert (entry["sha256"], entry["size"]) == (digest, (evidence / path).stat().st_size)
    # The same folder, the same report id; verify passes, and still sees a flipped byte.
    assert build(tmp_path / "again")["report_id"] == manifest["report_id"]
    done = runner.invoke(main, ["verify", str(tmp_path / "site")])
    assert done.exit_code == 0, done.output
    page = tmp_path / "site" / "evidence" / "index.html"
    page.write_bytes(page.read_bytes() + b"<!-- edited -->")
    done = runner.invoke(main, ["verify", str(tmp_path / "site")])
    assert done.exit_code == 1 and "evidence/index.html" in done.output
    # An ignored file is hashed into the inputs: editing it makes another report.
    (evidence / "README.md").write_text("# Exported by hand\n")
    assert build(tmp_path / "edited")["report_id"] != manifest["report_id"]
