from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class EvidenceConfig(AppConfig):
    """Photos and documents that come with an issue, a diary entry, a resolution or a progress
    note: checked on upload, stripped of EXIF, stored privately (file system or S3), served
    only to those who see the issue, and to the public when marked public. Depends on issues
    and diaries."""

    name = "evidence"
    verbose_name = _("evidence")
