from django.urls import path

from . import views

app_name = "issues"

# Cadre pages: my issues, one issue with its timeline, and its actions.
urlpatterns = [
    path("issues/", views.issue_list, name="list"),
    path("issues/<int:pk>/", views.issue_detail, name="detail"),
    path("issues/<int:pk>/<slug:action>/", views.issue_action, name="action"),
]
