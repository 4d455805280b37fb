from django.urls import path

from . import views

app_name = "contracts"

urlpatterns = [
    # Community offices: contracts and their steps.
    path("contracts/", views.contract_list, name="list"),
    path("contracts/<int:pk>/", views.contract_detail, name="detail"),
    path("contracts/<int:pk>/advance/", views.contract_advance, name="advance"),
    # The partners' panel of the issue page posts here.
    path("contracts/issues/<int:pk>/resolve/", views.resolve_through, name="resolve"),
    path("contracts/issues/<int:pk>/need/", views.raise_need, name="need"),
    # 亮约: the public page of a community, no login.
    path("co-building/<str:code>/", views.public_page, name="public"),
]
