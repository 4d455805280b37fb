"""Model permissions that follow from a membership, as a rule in code rather than rows.

An office member (三服务办公室) triages issues and reads the territory; a leader (领导干部)
reads and acts on issues. Both therefore hold the `view`/`change` permissions the admin asks
for, without anyone granting them by hand; what they see is still limited to their
jurisdiction by each admin's queryset, and what they may do to an issue by issues.rules.
"""

from __future__ import annotations

from django.contrib.auth.backends import BaseBackend

from .models import Membership
from .services import jurisdiction

TERRITORY = {
    f"dispatch.view_{model}"
    for model in ("division", "enterprise", "grid", "department", "cadre", "posting", "membership")
}
ROLE_PERMISSIONS: dict[str, frozenset[str]] = {
    Membership.Role.OFFICE: frozenset(
        {
            "issues.view_issue",
            "issues.change_issue",
            "issues.view_issueevent",
            "issues.view_category",
            "meetings.view_meeting",
            "meetings.view_agendaitem",
            *TERRITORY,
            # The members of their departments (the admin limits them to department roles).
            "dispatch.add_membership",
            "dispatch.delete_membership",
            # The cadres posted in their subtree and their postings (the admin limits both,
            # and the divisions and enterprises they may choose, to the office's subtree).
            "dispatch.add_cadre",
            "dispatch.change_cadre",
            "dispatch.add_posting",
            "dispatch.change_posting",
        }
    ),
    Membership.Role.LEADER: frozenset(
        {
            "issues.view_issue",
            "issues.change_issue",
            "issues.view_issueevent",
            "issues.view_category",
            "dispatch.view_division",
            "dispatch.view_department",
        }
    ),
}


def member_roles(user) -> set[str]:
    """The roles `user` holds in any division, read off their (cached) jurisdiction."""
    j = jurisdiction(user)
    held = ((Membership.Role.OFFICE, j.office_at), (Membership.Role.LEADER, j.leader_at))
    return {role for role, divisions in held if divisions}


def is_member(user) -> bool:
    return bool(member_roles(user))


class MembershipBackend(BaseBackend):
    """Authenticates nobody; grants permissions by membership role."""

    def get_all_permissions(self, user_obj, obj=None) -> set[str]:
        if obj is not None:
            return set()
        perms: set[str] = set()
        for role in member_roles(user_obj):
            perms |= ROLE_PERMISSIONS.get(role, frozenset())
        return perms

    def has_perm(self, user_obj, perm, obj=None) -> bool:
        return perm in self.get_all_permissions(user_obj, obj)

    def has_module_perms(self, user_obj, app_label) -> bool:
        return any(p.startswith(f"{app_label}.") for p in self.get_all_permissions(user_obj))
