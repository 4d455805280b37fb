app_name = "diaries"

urlpatterns: list = []
