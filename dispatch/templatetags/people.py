"""`{{ user|person }}`: how the pages name a person."""

from django import template

from dispatch.services import display_name

register = template.Library()
register.filter("person", display_name)
