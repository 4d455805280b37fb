"""A fresh install's catalogue of issue categories, so that the first cadre can raise an issue
before anyone has set one up. The per-tier deadlines are left empty (the defaults of
SANBUFU_DEADLINE_DAYS apply); offices edit, reorder and add categories in the admin. Existing
categories with the same code are left as they are."""

from django.db import migrations

CATALOGUE = [
    # code, Chinese name, English name, sort order ("other" last)
    ("water", "供水排水", "Water supply and drainage", 10),
    ("roads", "道路交通", "Roads and traffic", 20),
    ("environment", "环境卫生", "Environment and sanitation", 30),
    ("housing", "住房建设", "Housing and construction", 40),
    ("employment", "就业社保", "Jobs and social security", 50),
    ("elderly", "养老助残", "Elderly and disability care", 60),
    ("education", "教育医疗", "Schools and health care", 70),
    ("safety", "安全生产", "Work safety", 80),
    ("disputes", "矛盾纠纷", "Disputes and mediation", 90),
    ("land", "土地规划", "Land and planning", 100),
    ("agriculture", "农业农村", "Farming and rural affairs", 110),
    ("enterprise_approval", "企业审批", "Enterprise approvals", 120),
    ("enterprise_labour", "企业用工", "Enterprise labour", 130),
    ("enterprise_finance", "企业融资", "Enterprise finance", 140),
    ("other", "其他", "Other", 999),
]


def add_catalogue(apps, schema_editor):
    Category = apps.get_model("issues", "Category")
    existing = set(Category.objects.values_list("code", flat=True))
    Category.objects.bulk_create(
        Category(code=code, name_zh=zh, name_en=en, sort_order=order)
        for code, zh, en, order in CATALOGUE
        if code not in existing
    )


def remove_unused_catalogue(apps, schema_editor):
    Category = apps.get_model("issues", "Category")
    Issue = apps.get_model("issues", "Issue")
    used = set(Issue.objects.values_list("category_id", flat=True).distinct())
    Category.objects.filter(code__in=[row[0] for row in CATALOGUE]).exclude(pk__in=used).delete()


class Migration(migrations.Migration):
    dependencies = [("issues", "0005_category_sort_order")]

    operations = [migrations.RunPython(add_catalogue, remove_unused_catalogue)]
