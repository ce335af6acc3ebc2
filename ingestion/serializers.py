"""Thin serializers: shape the JSON; the models' clean() holds the validation rules."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime, timedelta

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from .models import Asset
from .schemas import ASSET_ID_PATTERN, MIN_TIMESTAMP
from .selectors import SIGNAL_READ_FIELDS
from .services.registry import ASSET_WRITABLE_FIELDS


def _json_types(field: serializers.Field) -> tuple[type, ...] | None:
    """The JSON types the OpenAPI document gives `field`; None: any (or not checked here)."""
    if isinstance(field, serializers.BooleanField):
        return (bool,)
    if isinstance(field, serializers.ChoiceField):
        keys = list(field.choices)
        if keys and all(isinstance(k, int) and not isinstance(k, bool) for k in keys):
            return (int,)
        return (str,) if keys and all(isinstance(k, str) for k in keys) else None
    if isinstance(field, serializers.IntegerField):
        return (int,)
    if isinstance(field, serializers.FloatField | serializers.DecimalField):
        return (int, float)
    if isinstance(field, serializers.CharField | serializers.DateField | serializers.DateTimeField):
        return (str,)
    if isinstance(field, serializers.ListField):
        return (list,)
    return None


class StrictTypesMixin:
    """JSON bodies must carry the types the OpenAPI document declares: DRF would coerce
    (the number 7 into the name "7", the string "1.5" into a float, 1 or "yes" into true), so
    a body the schema refuses would be accepted. A field of the wrong JSON type is refused with
    400 naming it; `null` is left to the field's own allow_null rule."""

    def to_internal_value(self, data):
        if isinstance(data, dict) and not hasattr(data, "getlist"):
            wrong = {}
            for name, field in self.fields.items():  # type: ignore[attr-defined]
                if field.read_only or name not in data or data[name] is None:
                    continue
                types = _json_types(field)
                value = data[name]
                if types is not None and (
                    not isinstance(value, types) or (isinstance(value, bool) and bool not in types)
                ):
                    wrong[name] = f"must be a JSON {_TYPE_NAMES[types[0]]}"
            if wrong:
                raise serializers.ValidationError(wrong)
        return super().to_internal_value(data)  # type: ignore[misc]


_TYPE_NAMES = {bool: "boolean", int: "number", str: "string", list: "array"}


def _positive_float_field(*, maximum: float | None = None, **kwargs) -> serializers.FloatField:
    """A number that must be > 0 (the model's clean() refuses 0, docs/CONTRACTS.md §3.2): the
    OpenAPI document says so with exclusiveMinimum, which DRF's own validators cannot express."""
    schema: dict[str, object] = {"type": "number", "format": "double", "minimum": 0, "exclusiveMinimum": True}
    if maximum is not None:
        schema["maximum"] = maximum
    if kwargs.get("allow_null"):
        schema["nullable"] = True
    field_cls = extend_schema_field(schema)(type("PositiveFloatField", (serializers.FloatField,), {}))
    return field_cls(max_value=maximum, **kwargs)


class AssetSerializer(StrictTypesMixin, serializers.ModelSerializer):
    tenant = serializers.CharField(source="tenant.name", read_only=True)
    asset_id = serializers.RegexField(ASSET_ID_PATTERN, max_length=64, validators=[])
    rated_voltage_v = _positive_float_field(
        maximum=1000,
        help_text="Nominal supply voltage: line-to-line for three-phase, line-to-neutral for single-phase.",
    )
    rated_current_a = _positive_float_field(maximum=10000)
    rated_power_kw = _positive_float_field(
        help_text="Rated shaft (output) power; at most k x rated_voltage_v x rated_current_a / 1000"
    )
    bearing_ball_diameter_mm = _positive_float_field(required=False, allow_null=True)
    bearing_pitch_diameter_mm = _positive_float_field(required=False, allow_null=True)

    class Meta:
        model = Asset
        fields = [*ASSET_WRITABLE_FIELDS, "tenant", "created_at", "updated_at"]
        read_only_fields = ["tenant", "created_at", "updated_at"]


class AssetPatchSerializer(AssetSerializer):
    asset_id = serializers.CharField(read_only=True)  # type: ignore[assignment]  # immutable once created

    class Meta(AssetSerializer.Meta):
        read_only_fields = ["asset_id", "tenant", "created_at", "updated_at"]


MAX_QUERY_TIME = datetime(2262, 1, 1, tzinfo=UTC)


@extend_schema_field(OpenApiTypes.DATETIME)
class AwareDateTimeField(serializers.Field):
    """RFC 3339 with Z or an offset; a naive time is refused instead of being guessed as UTC."""

    default_error_messages = {
        "invalid": "must be an RFC 3339 date-time, e.g. 2026-01-05T06:00:00Z",
        "naive": "must include a UTC offset or Z (naive times are ambiguous)",
        "range": "must be an instant between 0001-01-01T00:00:00Z and 9999-12-31T23:59:59Z",
    }

    def to_internal_value(self, data):
        if not isinstance(data, str):
            self.fail("invalid")
        try:
            value = datetime.fromisoformat(data.strip().replace("z", "Z"))
        except ValueError:
            self.fail("invalid")
        if value.tzinfo is None or value.utcoffset() is None:
            self.fail("naive")
        try:
            return value.astimezone(UTC)
        except OverflowError:  # within a day of year 1 or 9999: the instant itself is out of range
            self.fail("range")

    def to_representation(self, value):
        return value.isoformat().replace("+00:00", "Z")


class QuerySerializer(serializers.Serializer):
    """Query parameters. A parameter sent with an empty value (`?limit=`) is refused, naming it:
    DRF would read it as absent, while the OpenAPI document types it (an integer, a date-time,
    at least one character), so the validator and the published schema agree."""

    def to_internal_value(self, data):
        if hasattr(data, "getlist"):
            blank = {
                name: "may not be empty; leave the parameter out for its default"
                for name, field in self.fields.items()
                if name in data and "" in data.getlist(name) and not getattr(field, "allow_blank", False)
            }
            if blank:
                raise serializers.ValidationError(blank)
        return super().to_internal_value(data)


def query_window(
    *, start: datetime | None, end: datetime | None, default_span: timedelta
) -> tuple[datetime, datetime]:
    """The [start, end) a time-series read covers, clamped to the times a point can have
    (2000-01-02 .. 2262-01-01). Every pair of date-times is a valid range: one that holds no
    instant a point can have (start >= end, or wholly before 2000-01-02 or after 2262) is an
    empty window, answered with an empty series, so the validator accepts what the OpenAPI
    document allows."""
    end = end or datetime.now(UTC)
    start = start or end - default_span
    start, end = max(start, MIN_TIMESTAMP), min(end, MAX_QUERY_TIME)
    if start >= end:  # nothing can be stored there: an empty window at the nearest bound
        start = end = min(max(end, MIN_TIMESTAMP), MAX_QUERY_TIME)
    return start, end


def fields_pattern(names: Sequence[str]) -> str:
    """`fields` of a series read: one or more of these names, comma-separated."""
    return "^({0})(,({0}))*$".format("|".join(names))


SIGNAL_FIELDS_PATTERN = fields_pattern(SIGNAL_READ_FIELDS)
#: a chart resolution: raw, auto or a bucket of 1..999999 seconds, minutes, hours or days
RESOLUTION_PATTERN = r"^(raw|auto|[1-9][0-9]{0,5}(s|m|h|d))$"


class SignalsQuerySerializer(QuerySerializer):
    start = AwareDateTimeField(required=False, help_text="RFC 3339 with zone; default end - 24 h")
    end = AwareDateTimeField(required=False, help_text="RFC 3339 with zone, exclusive; default now")
    fields = serializers.RegexField(  # type: ignore[assignment]  # a query parameter named fields
        SIGNAL_FIELDS_PATTERN, required=False, help_text="comma-separated field names; default all signals"
    )
    resolution = serializers.RegexField(
        RESOLUTION_PATTERN,
        required=False,
        default="auto",
        help_text="raw, auto (at most 500 buckets) or a bucket like 30s, 5m, 1h, 1d",
    )
    points = serializers.IntegerField(
        required=False,
        min_value=10,
        max_value=10000,
        help_text="the chart's width in points: with resolution auto, raw points when the range "
        "holds at most this many, else the smallest bucket giving at most this many (min/max envelope)",
    )

    #: the fields a caller may name, and those read when it names none
    allowed_fields: tuple[str, ...] = tuple(SIGNAL_READ_FIELDS)
    default_fields: tuple[str, ...] = tuple(SIGNAL_READ_FIELDS)

    def validate_fields(self, value: str) -> list[str]:
        names = list(dict.fromkeys(value.split(",")))  # the pattern admits known names only
        unknown = [n for n in names if n not in self.allowed_fields]
        if unknown:
            raise serializers.ValidationError(
                f"unknown field(s) {unknown}; allowed: {', '.join(self.allowed_fields)}"
            )
        return names

    def validate(self, attrs: dict) -> dict:
        start, end = query_window(
            start=attrs.get("start"), end=attrs.get("end"), default_span=timedelta(hours=24)
        )
        attrs.update(start=start, end=end)
        attrs.setdefault("fields", list(self.default_fields))
        return attrs
