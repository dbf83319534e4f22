"""The wording comparison now reads the words of claims/lexicon.json as one term per group
("killed", "died" and "death toll" are "=killed"), so every stored wording index is stale.

Clearing the digest marks each claim unindexed: the next full scan indexes them all again with
the code of its day (detection._refresh_unindexed_wordings), as does any check of a changed
claim. Until then their wordings are not compared. Nothing else is touched.
"""

from django.db import migrations


def mark_unindexed(apps, schema_editor):
    Claim = apps.get_model("claims", "Claim")
    Claim.objects.exclude(wording_digest="").update(wording_digest="")


class Migration(migrations.Migration):
    dependencies = [
        ("claims", "0011_supersession_groups"),
    ]

    operations = [migrations.RunPython(mark_unindexed, migrations.RunPython.noop)]
