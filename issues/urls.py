from django.urls import path

from . import views

app_name = "issues"

urlpatterns = [
    # My issues, one issue with its timeline, and every action of every page.
    path("issues/", views.issue_list, name="list"),
    path("issues/<int:pk>/", views.issue_detail, name="detail"),
    path("issues/<int:pk>/<slug:action>/", views.issue_action, name="action"),
    # Department members: their work queue (phone first).
    path("queue/", views.queue, name="queue"),
    # County and city leaders: the claim board.
    path("board/", views.board, name="board"),
    path("board/history/", views.board_history, name="board_history"),
    # What concerns me: my inbox of notifications.
    path("inbox/", views.inbox, name="inbox"),
]
