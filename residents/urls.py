from django.urls import path

from . import views

app_name = "residents"

urlpatterns = [
    # The resident's page behind the signed link of their text message (no login).
    path("r/<str:token>/", views.resident_page, name="page"),
    # Lookup by issue number and the last four digits of the reporter's phone (no login).
    path("track/", views.track, name="track"),
    # Offices: resolved issues whose reporter has not rated the answer, to call (回访).
    path("followups/", views.followups, name="followups"),
]
