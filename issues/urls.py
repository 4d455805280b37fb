from django.urls import path

from . import views

app_name = "issues"

# Cadre pages: my issues, one issue with its timeline, and its actions.
urlpatterns = [
    path("issues/", views.issue_list, name="list"),
    path("issues/<int:pk>/", views.issue_detail, name="detail"),
    path("issues/<int:pk>/<slug:action>/", views.issue_action, name="action"),
]

# Offices and leaders: the weekly analysis meeting and the claim board.
urlpatterns += [
    path("meetings/", views.meeting_list, name="meeting_list"),
    path("meetings/convene/", views.meeting_convene, name="meeting_convene"),
    path("meetings/<int:pk>/", views.meeting_detail, name="meeting_detail"),
    path(
        "meetings/<int:pk>/items/<int:item_pk>/decide/",
        views.meeting_decide,
        name="meeting_decide",
    ),
    path("meetings/<int:pk>/close/", views.meeting_close, name="meeting_close"),
    path("meetings/<int:pk>/print/", views.meeting_print, name="meeting_print"),
    path("meetings/<int:pk>/agenda.xlsx", views.meeting_xlsx, name="meeting_xlsx"),
    path("board/", views.board, name="board"),
    path("board/<int:pk>/claim/", views.board_claim, name="board_claim"),
    path("board/<int:pk>/assign/", views.board_assign, name="board_assign"),
    path("board/<int:pk>/resolve/", views.board_resolve, name="board_resolve"),
]
