"""A queryable legal-basis column. The chain's MAC does not cover it directly: it covers
`fields`, which holds the same code as "basis:<code>"; the constraint ties the two, so the
column cannot say something the chained record does not."""

from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('audit', '0003_chain'),
    ]

    operations = [
        migrations.AddField(
            model_name='auditevent',
            name='legal_basis',
            field=models.CharField(blank=True, db_default='', default='', help_text='Why an access beyond the normal policy was allowed: a code such as TRAINING (psychotherapy notes), a break-the-glass reason or an override basis', max_length=40),
        ),
        migrations.AlterField(
            model_name='auditevent',
            name='purpose',
            field=models.CharField(choices=[('treatment', 'Treatment'), ('operations', 'Practice operations'), ('scheduling', 'Scheduling'), ('security', 'Security'), ('emergency', 'Emergency treatment (break the glass)'), ('system', 'System')], max_length=16),
        ),
        migrations.RunSQL(
            "ALTER TABLE audit_auditevent ADD CONSTRAINT audit_basis_is_chained CHECK "
            "(legal_basis = '' OR fields ? ('basis:' || legal_basis))",
            "ALTER TABLE audit_auditevent DROP CONSTRAINT audit_basis_is_chained",
        ),
        migrations.AddIndex(
            model_name='auditevent',
            index=models.Index(condition=~models.Q(legal_basis=''), fields=['practice_id', 'occurred_at'], name='audit_with_basis'),
        ),
    ]
