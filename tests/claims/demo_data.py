"""A claimset rich in contradictions, detected, for the report and chart tests.

tests/fixtures/libya-with-probes.claimset.json is the evaluation's Libya seed claimset: the
demo's real claims of an earlier day plus constructed probe statements, which make 17 flags in
8 subjects. The demo itself (demo/libya.claimset.json) keeps only real reporting.
"""

import json
from pathlib import Path

import pytest

from claims.services.claimsets import import_claimset

PROBES_CLAIMSET = (
    Path(__file__).resolve().parents[1] / "fixtures" / "libya-with-probes.claimset.json"
)


@pytest.fixture
def demo(db, django_capture_on_commit_callbacks):
    """Imports the claimset with probes and runs the checks it sends on commit (17 flags)."""
    document = json.loads(PROBES_CLAIMSET.read_text(encoding="utf-8"))
    with django_capture_on_commit_callbacks(execute=True):
        import_claimset(document)
