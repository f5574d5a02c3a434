from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("inspections", "0009_workday_calendar_years"),
    ]

    operations = [
        migrations.AddField(
            model_name="historicalsitevisit",
            name="leader_instruction",
            field=models.TextField(blank=True, verbose_name="leader's instruction"),
        ),
        migrations.AddField(
            model_name="sitevisit",
            name="leader_instruction",
            field=models.TextField(blank=True, verbose_name="leader's instruction"),
        ),
    ]
