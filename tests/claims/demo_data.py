"""The Libya demo data with its contradictions detected, for the report and chart tests."""

import io

import pytest
from django.core.management import call_command


@pytest.fixture
def demo(db, django_capture_on_commit_callbacks):
    """Loads demo/libya.claimset.json and runs the checks it sends on commit (17 flags)."""
    with django_capture_on_commit_callbacks(execute=True):
        call_command("load_demo", stdout=io.StringIO())
