from django.urls import path

from . import views

app_name = "contracts"

urlpatterns = [
    # Community offices: contracts and their steps.
    path("contracts/", views.contract_list, name="list"),
    path("contracts/<int:pk>/", views.contract_detail, name="detail"),
    path("contracts/<int:pk>/advance/", views.contract_advance, name="advance"),
    # One community: needs, offers, resources, projects, its grids.
    path("contracts/community/<str:code>/", views.community_page, name="community"),
    path(
        "contracts/community/<str:code>/needs/<int:pk>/claim/",
        views.need_claim,
        name="need-claim",
    ),
    path("contracts/community/<str:code>/needs/<int:pk>/meet/", views.need_meet, name="need-meet"),
    path(
        "contracts/community/<str:code>/offers/<int:pk>/take/",
        views.offer_take,
        name="offer-take",
    ),
    # The partners' panel of the issue page posts here.
    path("contracts/issues/<int:pk>/resolve/", views.resolve_through, name="resolve"),
    path("contracts/issues/<int:pk>/need/", views.raise_need, name="need"),
    # 亮约: the public page of a community, no login.
    path("co-building/<str:code>/", views.public_page, name="public"),
]
