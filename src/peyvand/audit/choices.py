from django.db import models
from django.utils.translation import gettext_lazy as _


class ChangeAction(models.TextChoices):
    CREATE = "create", _("Created")
    UPDATE = "update", _("Updated")
    DELETE = "delete", _("Moved to recycle bin")
    RESTORE = "restore", _("Restored")
    MERGE = "merge", _("Merged")
    UNMERGE = "unmerge", _("Merge undone")
    FORGET = "forget", _("Erased (forget)")
    IMPORT = "import", _("Imported")
