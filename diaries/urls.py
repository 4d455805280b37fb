from django.urls import include, path

from . import views

# "home" is unnamespaced because LOGIN_REDIRECT_URL names it; the diary pages live in the
# "diaries" namespace.
diary_patterns = (
    [
        path("diaries/", views.diary_list, name="list"),
        path("diaries/new/", views.diary_new, name="new"),
        path("diaries/<int:pk>/", views.diary_detail, name="detail"),
    ],
    "diaries",
)

urlpatterns = [
    path("", views.home, name="home"),
    path("", include(diary_patterns)),
]
