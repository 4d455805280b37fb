"""`{{ user|person }}`: how the pages name a person; `{{ user|works_in_department }}`: whether
the user has a department's work queue."""

from django import template

from dispatch.services import display_name, jurisdiction

register = template.Library()
register.filter("person", display_name)


@register.filter
def works_in_department(user) -> bool:
    return bool(jurisdiction(user).department_at)
