from django.urls import include, path

from . import views

patterns = (
    [
        path("households/", views.households, name="households"),
        path("households/<int:pk>/", views.household, name="household"),
        path("coverage/", views.coverage, name="coverage"),
        path("campaigns/", views.campaigns, name="campaigns"),
        path("campaigns/<int:pk>/", views.campaign, name="campaign"),
        path("deployments/", views.deployments, name="deployments"),
        path("deployments/<int:pk>/", views.deployment, name="deployment"),
    ],
    "fieldwork",
)

urlpatterns = [path("fieldwork/", include(patterns))]
