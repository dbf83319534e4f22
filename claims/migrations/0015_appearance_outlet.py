import django.db.models.deletion
from django.db import migrations, models


def fill_outlets(apps, schema_editor):
    """Copy every appearance's source's outlet, in one statement."""
    if schema_editor.connection.vendor == "postgresql":
        sql = (
            "UPDATE claims_appearance AS a SET outlet_id = s.outlet_id FROM sources_source AS s "
            "WHERE s.id = a.source_id AND a.outlet_id IS DISTINCT FROM s.outlet_id"
        )
    else:
        sql = (
            "UPDATE claims_appearance SET outlet_id = (SELECT s.outlet_id FROM sources_source AS s "
            "WHERE s.id = claims_appearance.source_id)"
        )
    schema_editor.execute(sql)


class Migration(migrations.Migration):
    dependencies = [
        ("claims", "0014_fact_documents"),
        ("sources", "0004_source_corrects"),
    ]

    operations = [
        migrations.AddField(
            model_name="appearance",
            name="outlet",
            field=models.ForeignKey(
                blank=True,
                editable=False,
                null=True,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="+",
                to="sources.outlet",
            ),
        ),
        migrations.RunPython(fill_outlets, migrations.RunPython.noop),
    ]
