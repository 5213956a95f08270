"""The site lists every waiver and the changes since a baseline, in plain words."""

from __future__ import annotations

import html
import json
import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner
from conftest import DEMO_EVIDENCE, REPO

from mldossier.cli import main

pytestmark = pytest.mark.slow  # a check and a build of the demo evidence

WAIVER = """mldossier: waiver/v1
waivers:
  - id: W-2026-07
    control: SOC2-CC7-2
    subject: income-verifier@2
    justification: Monitoring job migrates to the new platform <script>x</script>
    owner: onboarding-analytics
    approver: chief-risk-officer
    compensating_control: weekly manual review of declined applications
    granted: "2026-11-01"
    expires: "2027-02-01"
"""


def test_waivers_and_changes_appear_on_their_page(tmp_path: Path) -> None:
    evidence = tmp_path / "evidence"
    shutil.copytree(DEMO_EVIDENCE, evidence)
    runner = CliRunner()
    first = runner.invoke(
        main,
        [
            "--config",
            str(REPO / "mldossier.yaml"),
            "check",
            "--evidence",
            str(evidence),
            "--json",
            str(tmp_path / "old.json"),
        ],
    )
    assert first.exit_code == 1
    (evidence / "waivers.yaml").write_text(WAIVER)
    built = runner.invoke(
        main,
        [
            "--config",
            str(REPO / "mldossier.yaml"),
            "build",
            "--evidence",
            str(evidence),
            "--out",
            str(tmp_path / "site"),
            "--baseline",
            str(tmp_path / "old.json"),
        ],
    )
    assert built.exit_code == 0, built.stderr
    raw = (tmp_path / "site" / "changes" / "index.html").read_text()
    page = html.unescape(raw)
    assert "W-2026-07" in page and "weekly manual review of declined applications" in page
    assert "&lt;script&gt;x&lt;/script&gt;" in raw and "<script>x</script>" not in raw
    assert "SOC2-CC7-2 CC7.2 [income-verifier@2]: exception → waived" in page
    assert "evidence added: waivers.yaml" in page
    results = json.loads((tmp_path / "site" / "results.json").read_text())
    waived = [r for r in results["results"] if r["status"] == "waived"]
    assert [(r["control"], r["subject"]) for r in waived] == [("SOC2-CC7-2", "income-verifier@2")]
    assert waived[0]["waiver"]["id"] == "W-2026-07"
    import subprocess

    text = subprocess.run(
        ["pdftotext", str(tmp_path / "site" / "report.pdf"), "-"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    assert "Waivers and changes" in text and "W-2026-07" in text
    assert "SOC2-CC7-2 CC7.2 [income-verifier@2]: exception → waived" in text
