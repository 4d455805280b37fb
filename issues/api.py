"""REST endpoints of issues: /api/v1/issues/ (list, raise, detail, timeline, transitions),
/api/v1/stats/ and /api/v1/auth/token/.

Every read starts from `Issue.objects.visible_to(user)`, so an issue outside the caller's
jurisdiction is a 404. Every write calls one service of issues.services and lets its errors
through to the API's exception handler (common.drf): NotFound 404, NotPermitted 403,
TransitionError and StaleVersion 409, django ValidationError 400 in DRF's shape.
"""

from __future__ import annotations

from django.contrib.auth import authenticate
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import (
    OpenApiParameter,
    OpenApiResponse,
    extend_schema,
    extend_schema_view,
    inline_serializer,
)
from rest_framework import exceptions, mixins, serializers, status, viewsets
from rest_framework.authtoken.serializers import AuthTokenSerializer
from rest_framework.authtoken.views import ObtainAuthToken
from rest_framework.decorators import action
from rest_framework.filters import OrderingFilter
from rest_framework.parsers import MultiPartParser
from rest_framework.response import Response
from rest_framework.settings import api_settings
from rest_framework.throttling import ScopedRateThrottle
from rest_framework.views import APIView

from common.drf import CSVRenderer, XLSXRenderer, is_tabular
from common.errors import NotFound
from common.pagination import IdsFirstPagination
from dispatch.models import Enterprise, Grid
from dispatch.services import jurisdiction
from durable.idempotency import HEADER_PARAMETER, KEY_REUSED_RESPONSE, idempotent
from evidence import services as evidence_services
from evidence.models import live_attachments
from evidence.serializers import AttachmentSerializer, AttachmentUploadSerializer

from . import services
from .filters import IssueFilter
from .models import Category, Issue, IssueEvent, Notification
from .selectors import grid_ranking, stats, unit_stats
from .serializers import (
    AssignSerializer,
    CategorySerializer,
    CommentSerializer,
    DecideExtensionSerializer,
    EscalateSerializer,
    EventSerializer,
    ExtensionSerializer,
    FeedbackSerializer,
    FollowUpSerializer,
    HandBackSerializer,
    IssueCreateSerializer,
    IssueSerializer,
    MergeSerializer,
    NoteSerializer,
    NotificationReadSerializer,
    NotificationSerializer,
    PublishSerializer,
    ReportAgainSerializer,
    ResolveSerializer,
    ReturnSerializer,
    SimilarIssueSerializer,
    SimilarQuerySerializer,
    StatsQuerySerializer,
    StatsSerializer,
    SuperviseSerializer,
    TransitionSerializer,
    UnitStatsQuerySerializer,
    UnitStatsSerializer,
)
from .tables import issue_table, stats_table, unit_stats_table

# Exports are bounded: a spreadsheet of more rows than this is a job for ?raised_after=.
EXPORT_LIMIT = 10000


DETAIL = inline_serializer("Detail", {"detail": serializers.CharField()})
ERRORS = {
    400: OpenApiResponse(description="Invalid input, in DRF's shape: {field: [messages]}."),
    401: OpenApiResponse(DETAIL, description="Not authenticated."),
    403: OpenApiResponse(DETAIL, description="Visible, but beyond the caller's rights."),
    404: OpenApiResponse(DETAIL, description="No such issue in the caller's jurisdiction."),
}
# What a write may also answer: a body DRF cannot parse as any of its media types (415),
# and an Idempotency-Key reused for another request (422).
WRITE_ERRORS = {
    **ERRORS,
    415: OpenApiResponse(DETAIL, description="A body of a media type the API does not read."),
    422: KEY_REUSED_RESPONSE,
}
TRANSITION_ERRORS = {
    **WRITE_ERRORS,
    409: OpenApiResponse(
        DETAIL, description="Does not fit the issue's state, or `version` is stale."
    ),
}


class TokenSerializer(AuthTokenSerializer):
    def validate(self, attrs):
        username, password = attrs.get("username"), attrs.get("password")
        if not (username and password):
            return super().validate(attrs)
        # The Django request, not DRF's wrapper: django-axes counts the failure and marks a
        # lockout on it, and its middleware answers from that mark.
        user = authenticate(self.context["request"]._request, username=username, password=password)
        if user is None:
            raise serializers.ValidationError(
                _("Unable to log in with provided credentials."), code="authorization"
            )
        attrs["user"] = user
        return attrs


class TokenView(ObtainAuthToken):
    """Exchange a username and password for an API token (wrong credentials: 400; after too
    many failures for the username or the client: 429 until the lockout ends)."""

    renderer_classes = api_settings.DEFAULT_RENDERER_CLASSES
    serializer_class = TokenSerializer
    throttle_classes = [ScopedRateThrottle]
    throttle_scope = "auth"

    @extend_schema(
        request=AuthTokenSerializer,
        responses={
            200: inline_serializer("Token", {"token": serializers.CharField()}),
            400: OpenApiResponse(description="Wrong credentials."),
            429: OpenApiResponse(description="Locked out or throttled: too many attempts."),
        },
        auth=[],
    )
    def post(self, request, *args, **kwargs):
        return super().post(request, *args, **kwargs)


def transition(serializer_class, description: str):
    return extend_schema(
        request=serializer_class,
        responses={200: IssueSerializer, **TRANSITION_ERRORS},
        description=description,
        filters=False,
        parameters=[HEADER_PARAMETER],
    )


@extend_schema_view(
    list=extend_schema(responses={200: CategorySerializer(many=True), 401: ERRORS[401]}),
    retrieve=extend_schema(
        responses={
            200: CategorySerializer,
            401: ERRORS[401],
            404: OpenApiResponse(DETAIL, description="No category with this code."),
        }
    ),
)
class CategoryViewSet(viewsets.ReadOnlyModelViewSet):
    """The issue categories, in the order the forms offer them (`sort_order`, then `code`)."""

    queryset = Category.objects.all()
    serializer_class = CategorySerializer
    lookup_field = "code"
    pagination_class = None


@extend_schema_view(
    list=extend_schema(
        responses={200: IssueSerializer(many=True), **ERRORS},
        parameters=[
            OpenApiParameter(
                "format",
                str,
                enum=["json", "csv", "xlsx"],
                description="csv or xlsx: every matching issue as a spreadsheet.",
            )
        ],
    ),
    retrieve=extend_schema(responses={200: IssueSerializer, **ERRORS}),
    create=extend_schema(
        request=IssueCreateSerializer, responses={201: IssueSerializer, **WRITE_ERRORS}
    ),
)
class IssueViewSet(
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    viewsets.GenericViewSet,
):
    """Issues in the caller's jurisdiction, their timeline and every transition."""

    queryset = Issue.objects.none()  # for the schema; requests use get_queryset
    serializer_class = IssueSerializer
    pagination_class = IdsFirstPagination
    filterset_class = IssueFilter
    ordering_fields = ["raised_at", "raised_on", "due_at", "escalation_count", "id"]
    ordering = ["-raised_at", "-id"]

    def get_queryset(self):
        issues = Issue.objects.visible_to(self.request.user)
        if getattr(self, "action", None) == "list" and not is_tabular(self.request):
            # A page of JSON names the category by code and two users by username; every
            # other relation is its id (the work order's parts are read whole), so joining
            # the other tables would only slow the page.
            return (
                issues.select_related("category", "claimed_by", "raised_by")
                .with_work_order()
                .prefetch_related(live_attachments())
            )
        return issues.for_list().with_work_order().prefetch_related(live_attachments())

    def get_renderers(self):
        renderers = super().get_renderers()
        if getattr(self, "action", None) == "list":
            renderers += [CSVRenderer(), XLSXRenderer()]
        return renderers

    @property
    def filter_backends(self):
        return [*api_settings.DEFAULT_FILTER_BACKENDS, OrderingFilter]

    def list(self, request, *args, **kwargs):
        if is_tabular(request):
            rows = self.filter_queryset(self.get_queryset())[:EXPORT_LIMIT]
            return Response(issue_table(rows))
        return super().list(request, *args, **kwargs)

    @idempotent
    def create(self, request, *args, **kwargs):
        data = IssueCreateSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        fields = dict(data.validated_data)
        enterprise_id = fields.pop("enterprise", None)
        enterprise = None
        if enterprise_id is not None:
            enterprise = Enterprise.objects.filter(pk=enterprise_id).first()
            if enterprise is None:
                raise exceptions.ValidationError({"enterprise": [_("Unknown enterprise.")]})
        grid_id = fields.pop("grid", None)
        grid = None
        if grid_id is not None:
            grid = Grid.objects.filter(pk=grid_id).first()
            if grid is None:
                raise exceptions.ValidationError({"grid": [_("Unknown grid.")]})
        issue = services.raise_issue(actor=request.user, enterprise=enterprise, grid=grid, **fields)
        return Response(self._fresh(issue.pk), status=status.HTTP_201_CREATED)

    def _fresh(self, pk: int) -> dict:
        issue = (
            Issue.objects.for_list()
            .with_work_order()
            .prefetch_related(live_attachments())
            .get(pk=pk)
        )
        return IssueSerializer(issue, context=self.get_serializer_context()).data

    @extend_schema(
        request={"multipart/form-data": AttachmentUploadSerializer},
        responses={201: AttachmentSerializer(many=True), **WRITE_ERRORS},
        description=(
            "Add photos (JPEG, PNG, WebP, HEIC) or PDF documents to the issue: one or more "
            "multipart `file` parts and an optional `role` (before, progress, after). Each "
            "file is checked by its content; EXIF is removed from what is stored."
        ),
        filters=False,
    )
    @action(
        detail=True,
        methods=["post"],
        filterset_class=None,
        parser_classes=[MultiPartParser],
    )
    def attachments(self, request, pk=None):
        issue = self.get_object()
        data = AttachmentUploadSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        added = evidence_services.add_evidence(
            actor=request.user,
            issue=issue.pk,
            files=data.validated_data["file"],
            role=data.validated_data["role"],
        )
        body = AttachmentSerializer(added, many=True, context=self.get_serializer_context()).data
        return Response(body, status=status.HTTP_201_CREATED)

    @idempotent
    def _transition(self, request, serializer_class, service) -> Response:
        issue = self.get_object()
        data = serializer_class(data=request.data)
        data.is_valid(raise_exception=True)
        service(actor=request.user, issue=issue.pk, **data.validated_data)
        return Response(self._fresh(issue.pk))

    @extend_schema(
        responses={200: EventSerializer(many=True), **ERRORS}, filters=False, parameters=[]
    )
    @action(detail=True, methods=["get"], pagination_class=None, filterset_class=None)
    def events(self, request, pk=None):
        """The issue's timeline, oldest first."""
        issue = self.get_object()
        events = (
            IssueEvent.objects.filter(issue=issue)
            .select_related("actor")
            .prefetch_related("co_departments")
            .order_by("at", "id")
        )
        return Response(EventSerializer(events, many=True).data)

    @transition(ResolveSerializer, "Resolve (办结) at the current tier.")
    @action(detail=True, methods=["post"], filterset_class=None)
    def resolve(self, request, pk=None):
        return self._transition(request, ResolveSerializer, services.resolve_issue)

    @transition(EscalateSerializer, "Escalate one tier up with a reason; 409 at city tier.")
    @action(detail=True, methods=["post"], filterset_class=None)
    def escalate(self, request, pk=None):
        return self._transition(request, EscalateSerializer, services.escalate_issue)

    @transition(AssignSerializer, "Assign to a department of the holder (town tier and up).")
    @action(detail=True, methods=["post"], filterset_class=None)
    def assign(self, request, pk=None):
        return self._transition(request, AssignSerializer, services.assign_issue)

    @transition(TransitionSerializer, "A leader of the holder claims it; one wins, 409 after.")
    @action(detail=True, methods=["post"], filterset_class=None)
    def claim(self, request, pk=None):
        return self._transition(request, TransitionSerializer, services.claim_issue)

    @transition(
        TransitionSerializer,
        "Sign for the assignment (签收): a member of the lead or a co-handling department, "
        "once per department per assignment.",
    )
    @action(detail=True, methods=["post"], filterset_class=None)
    def acknowledge(self, request, pk=None):
        return self._transition(request, TransitionSerializer, services.acknowledge_issue)

    @transition(
        HandBackSerializer,
        "Hand the assignment back to the office (退单): a member of the lead department, "
        "before signing for it, within the window, and not after an arbitration.",
    )
    @action(detail=True, methods=["post"], filterset_class=None)
    def hand_back(self, request, pk=None):
        return self._transition(request, HandBackSerializer, services.hand_back_issue)

    @transition(
        CommentSerializer, "Report progress (办理进展): the lead or a co-handling department."
    )
    @action(detail=True, methods=["post"], filterset_class=None)
    def progress(self, request, pk=None):
        return self._transition(request, CommentSerializer, services.post_progress)

    @transition(
        ExtensionSerializer,
        "Request more working days (延期): the holder (lead department member, holding office "
        "member or claiming leader); a limited number per tier, each of limited length.",
    )
    @action(detail=True, methods=["post"], filterset_class=None)
    def extension(self, request, pk=None):
        return self._transition(request, ExtensionSerializer, services.request_extension)

    @transition(
        DecideExtensionSerializer,
        "Approve or reject the pending extension: the holder's office for a department's "
        "request, the office one tier up for an office's or leader's. Approval moves the "
        "deadline on from the current one.",
    )
    @action(detail=True, methods=["post"], url_path="extension/decide", filterset_class=None)
    def decide_extension(self, request, pk=None):
        return self._transition(request, DecideExtensionSerializer, services.decide_extension)

    @transition(
        SuperviseSerializer,
        "Issue a supervision order (督办单) to the holder: an office member or leader at or "
        "above the holder's tier; one open order at a time.",
    )
    @action(detail=True, methods=["post"], filterset_class=None)
    def supervise(self, request, pk=None):
        return self._transition(request, SuperviseSerializer, services.supervise_issue)

    @transition(CommentSerializer, "The holder answers the open supervision order.")
    @action(detail=True, methods=["post"], filterset_class=None)
    def supervision_reply(self, request, pk=None):
        return self._transition(request, CommentSerializer, services.reply_supervision)

    @transition(ReturnSerializer, "Return one tier down with a reason, once per tier.")
    @action(detail=True, methods=["post"], url_path="return", filterset_class=None)
    def return_(self, request, pk=None):
        return self._transition(request, ReturnSerializer, services.return_issue)

    @transition(
        FeedbackSerializer,
        "The reporter's rating of this resolution, given by phone or in person, recorded by an "
        "office member over the origin (not the raiser); once per resolution, 409 after.",
    )
    @action(detail=True, methods=["post"], filterset_class=None)
    def feedback(self, request, pk=None):
        return self._transition(request, FeedbackSerializer, services.record_feedback)

    @transition(
        FollowUpSerializer,
        "A follow-up call (回访) to the reporter of a resolved, unrated issue: an office "
        "member over the origin, not its raiser; `reached` may carry the rating given.",
    )
    @action(detail=True, methods=["post"], filterset_class=None)
    def followup(self, request, pk=None):
        return self._transition(request, FollowUpSerializer, services.record_followup)

    @transition(NoteSerializer, "Reopen a resolved issue at its resolving tier.")
    @action(detail=True, methods=["post"], filterset_class=None)
    def reopen(self, request, pk=None):
        return self._transition(request, NoteSerializer, services.reopen_issue)

    @transition(CommentSerializer, "Add a comment to the timeline.")
    @action(detail=True, methods=["post"], filterset_class=None)
    def comment(self, request, pk=None):
        return self._transition(request, CommentSerializer, services.comment_issue)

    @extend_schema(
        parameters=[SimilarQuerySerializer],
        responses={200: SimilarIssueSerializer(many=True), **ERRORS},
        filters=False,
    )
    @action(detail=False, methods=["get"], pagination_class=None, filterset_class=None)
    def similar(self, request):
        """Up to five open issues that may be the same problem (一事一件): same category, same
        town, raised in the last 30 days, a similar title; best first. Offer to add a report
        to one (`report_again`) rather than raise another."""
        query = SimilarQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        data = query.validated_data
        category = Category.objects.filter(code=data["category"]).first()
        if category is None:
            raise exceptions.ValidationError({"category": [_("Unknown category.")]})
        found = Issue.objects.visible_to(request.user).similar_to(
            division=data["division"], category=category, title=data["title"]
        )
        return Response(SimilarIssueSerializer(found, many=True).data)

    @extend_schema(
        request=MergeSerializer,
        responses={200: IssueSerializer, **TRANSITION_ERRORS},
        description="Merge this issue into `into`, the survivor, which is returned; an office "
        "member holding both. This one's status becomes `merged`; both timelines name the other.",
        filters=False,
        parameters=[HEADER_PARAMETER],
    )
    @action(detail=True, methods=["post"], filterset_class=None)
    @idempotent
    def merge(self, request, pk=None):
        issue = self.get_object()
        data = MergeSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        into = Issue.objects.visible_to(request.user).filter(pk=data.validated_data["into"]).first()
        if into is None:
            raise exceptions.ValidationError({"into": [_("No such issue.")]})
        survivor = services.merge_issue(
            actor=request.user, issue=issue.pk, into=into.pk, note=data.validated_data["note"]
        )
        return Response(self._fresh(survivor.pk))

    @transition(
        ReportAgainSerializer,
        "Add a further report of the same problem to this open issue instead of raising "
        "another: the reporter is answered with it.",
    )
    @action(detail=True, methods=["post"], filterset_class=None)
    def report_again(self, request, pk=None):
        return self._transition(request, ReportAgainSerializer, services.report_again)

    @transition(
        PublishSerializer,
        "Write the public description, the only text of the issue the Open311 feed shows; "
        "whoever may act on the issue.",
    )
    @action(detail=True, methods=["post"], filterset_class=None)
    def publish(self, request, pk=None):
        return self._transition(request, PublishSerializer, services.set_public_description)


@extend_schema_view(
    list=extend_schema(
        responses={200: NotificationSerializer(many=True), **ERRORS},
        parameters=[OpenApiParameter("unread", bool, description="Only unread ones.")],
    )
)
class NotificationViewSet(mixins.ListModelMixin, viewsets.GenericViewSet):
    """The caller's inbox, newest first: the events that concern them (issues.notifications)."""

    serializer_class = NotificationSerializer

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return Notification.objects.none()
        rows = Notification.objects.filter(user=self.request.user).for_inbox()
        if self.request.query_params.get("unread") in ("true", "1"):
            rows = rows.unread()
        return rows

    @extend_schema(
        request=NotificationReadSerializer,
        responses={
            200: inline_serializer("Marked", {"marked": serializers.IntegerField()}),
            **WRITE_ERRORS,
        },
    )
    @action(
        detail=False,
        methods=["post"],
        pagination_class=None,
        serializer_class=NotificationReadSerializer,
    )
    def read(self, request):
        """Mark some (`ids`) or `all` of the caller's notifications read."""
        data = NotificationReadSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        rows = Notification.objects.filter(user=request.user, read_at__isnull=True)
        if not data.validated_data.get("all"):
            rows = rows.filter(pk__in=data.validated_data["ids"])
        return Response({"marked": rows.update(read_at=timezone.now())})


class StatsView(APIView):
    """Closure figures (办结率) of the caller's visible issues found in a subtree and period."""

    renderer_classes = [*api_settings.DEFAULT_RENDERER_CLASSES, CSVRenderer, XLSXRenderer]

    @extend_schema(
        parameters=[
            StatsQuerySerializer,
            OpenApiParameter("format", str, enum=["json", "csv", "xlsx"]),
        ],
        responses={
            200: StatsSerializer,
            (200, "text/csv"): OpenApiTypes.BINARY,
            (200, XLSXRenderer.media_type): OpenApiTypes.BINARY,
            400: ERRORS[400],
            401: ERRORS[401],
            404: OpenApiResponse(DETAIL, description="No such format."),
        },
    )
    def get(self, request):
        query = StatsQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        visible = Issue.objects.visible_to(request.user)
        figures = stats(visible, **query.validated_data)
        figures.setdefault("within", None)
        figures["by_grid"] = grid_ranking(visible, **query.validated_data)
        if is_tabular(request):
            return Response(stats_table(figures))
        return Response(StatsSerializer(figures).data)


class UnitStatsView(APIView):
    """The units' assessment (考核): each department of a subtree, or each town or county in
    it, over a period. Office members and leaders over the division; `?format=xlsx` is the
    monthly assessment table, with Chinese headers."""

    renderer_classes = [*api_settings.DEFAULT_RENDERER_CLASSES, CSVRenderer, XLSXRenderer]

    @extend_schema(
        parameters=[
            UnitStatsQuerySerializer,
            OpenApiParameter("format", str, enum=["json", "csv", "xlsx"]),
        ],
        responses={
            200: UnitStatsSerializer(many=True),
            (200, "text/csv"): OpenApiTypes.BINARY,
            (200, XLSXRenderer.media_type): OpenApiTypes.BINARY,
            400: ERRORS[400],
            401: ERRORS[401],
            404: OpenApiResponse(DETAIL, description="No such division over which you serve."),
        },
    )
    def get(self, request):
        query = UnitStatsQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        params = query.validated_data
        if not jurisdiction(request.user).is_superior_of(params["within"].code):
            raise NotFound(_("No such division in your jurisdiction."))
        rows = unit_stats(**params)
        if is_tabular(request):
            return Response(unit_stats_table(rows, **params))
        return Response(UnitStatsSerializer(rows, many=True).data)
