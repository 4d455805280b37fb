from django.urls import path

from . import views

app_name = "meetings"

# Town offices: the weekly analysis meeting.
urlpatterns = [
    path("meetings/", views.meeting_list, name="list"),
    path("meetings/convene/", views.meeting_convene, name="convene"),
    path("meetings/<int:pk>/", views.meeting_detail, name="detail"),
    path("meetings/<int:pk>/items/<int:item_pk>/decide/", views.meeting_decide, name="decide"),
    path("meetings/<int:pk>/items/<int:item_pk>/correct/", views.meeting_correct, name="correct"),
    path("meetings/<int:pk>/attendance/", views.meeting_attendance, name="attendance"),
    path("meetings/<int:pk>/close/", views.meeting_close, name="close"),
    path("meetings/<int:pk>/print/", views.meeting_print, name="print"),
    path("meetings/<int:pk>/agenda.xlsx", views.meeting_xlsx, name="xlsx"),
]
