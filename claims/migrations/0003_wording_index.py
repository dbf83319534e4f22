# The text detector's stored wordings: terms and mention digests on the claim, and the size and
# text-only flag of each index term. The term index is derived data: it is emptied here and
# rebuilt by the next scan (detection._refresh_unindexed_wordings) or change of each claim.

from django.db import migrations, models


def empty_term_index(apps, schema_editor):
    apps.get_model("claims", "ClaimTerm").objects.all().delete()


class Migration(migrations.Migration):
    dependencies = [
        ("claims", "0002_contradictions"),
    ]

    operations = [
        migrations.RunPython(empty_term_index, migrations.RunPython.noop),
        migrations.RemoveIndex(model_name="claimterm", name="claims_claimterm_term"),
        migrations.AddField(
            model_name="claim",
            name="wording_digest",
            field=models.TextField(blank=True, editable=False),
        ),
        migrations.AddField(
            model_name="claim",
            name="wording_terms",
            field=models.TextField(blank=True, editable=False),
        ),
        migrations.AddField(
            model_name="claimterm",
            name="size",
            field=models.PositiveSmallIntegerField(default=0),
            preserve_default=False,
        ),
        migrations.AddField(
            model_name="claimterm",
            name="text_only",
            field=models.BooleanField(default=True),
            preserve_default=False,
        ),
        migrations.AddIndex(
            model_name="claimterm",
            index=models.Index(
                fields=["term", "size"],
                include=["claim", "text_only"],
                name="claims_claimterm_term_size",
            ),
        ),
    ]
