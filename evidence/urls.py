from django.urls import path

from . import views

app_name = "evidence"

urlpatterns = [
    # A file of an issue the user sees (404 otherwise), and its thumbnail.
    path("evidence/<int:pk>/", views.attachment_file, name="file"),
    path("evidence/<int:pk>/thumb/", views.attachment_file, {"thumbnail": True}, name="thumb"),
    # A photo marked public, by its token, with no login (resident's page, Open311 media_url).
    path("evidence/p/<uuid:token>/", views.public_file, name="public"),
    path(
        "evidence/p/<uuid:token>/thumb/",
        views.public_file,
        {"thumbnail": True},
        name="public_thumb",
    ),
    # The issue page's forms: add files, show a photo to the public or not, remove a file.
    path("evidence/add/<int:issue_id>/", views.add, name="add"),
    path("evidence/<int:pk>/publish/", views.publish, name="publish"),
    path("evidence/<int:pk>/remove/", views.remove, name="remove"),
]
