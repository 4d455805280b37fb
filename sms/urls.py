from django.urls import path

from . import views

app_name = "sms"

urlpatterns = [
    # The provider's callback with residents' replies (TD to stop); the path holds the secret.
    path("sms/replies/<str:token>/", views.replies, name="replies"),
]
