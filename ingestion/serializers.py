"""Thin serializers: shape the JSON; the models' clean() holds the validation rules."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from .models import Asset
from .schemas import MIN_TIMESTAMP
from .selectors import SIGNAL_READ_FIELDS
from .services.registry import ASSET_WRITABLE_FIELDS


class AssetSerializer(serializers.ModelSerializer):
    tenant = serializers.CharField(source="tenant.name", read_only=True)

    class Meta:
        model = Asset
        fields = [*ASSET_WRITABLE_FIELDS, "tenant", "created_at", "updated_at"]
        read_only_fields = ["tenant", "created_at", "updated_at"]
        # Uniqueness is checked by the service (and reported as a field error there).
        extra_kwargs: dict[str, dict[str, object]] = {"asset_id": {"validators": []}}


class AssetPatchSerializer(AssetSerializer):
    class Meta(AssetSerializer.Meta):
        read_only_fields = ["asset_id", "tenant", "created_at", "updated_at"]


MAX_QUERY_TIME = datetime(2262, 1, 1, tzinfo=UTC)


@extend_schema_field(OpenApiTypes.DATETIME)
class AwareDateTimeField(serializers.Field):
    """RFC 3339 with Z or an offset; a naive time is refused instead of being guessed as UTC."""

    default_error_messages = {
        "invalid": "must be an RFC 3339 date-time, e.g. 2026-01-05T06:00:00Z",
        "naive": "must include a UTC offset or Z (naive times are ambiguous)",
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
        return value.astimezone(UTC)

    def to_representation(self, value):
        return value.isoformat().replace("+00:00", "Z")


class SignalsQuerySerializer(serializers.Serializer):
    start = AwareDateTimeField(required=False, help_text="RFC 3339 with zone; default end - 24 h")
    end = AwareDateTimeField(required=False, help_text="RFC 3339 with zone, exclusive; default now")
    fields = serializers.CharField(  # type: ignore[assignment]  # a query parameter named fields
        required=False, help_text="comma-separated field names; default all signals"
    )
    resolution = serializers.RegexField(
        r"^(raw|auto|[1-9][0-9]{0,5}(s|m|h|d))$",
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
        names = [v.strip() for v in value.split(",") if v.strip()]
        unknown = [n for n in names if n not in self.allowed_fields]
        if not names or unknown:
            raise serializers.ValidationError(
                f"unknown field(s) {unknown or value!r}; allowed: {', '.join(self.allowed_fields)}"
            )
        return names

    def validate(self, attrs: dict) -> dict:
        end = attrs.get("end") or datetime.now(UTC)
        start = attrs.get("start") or end - timedelta(hours=24)
        if start >= end:
            raise serializers.ValidationError({"start": "start must be before end"})
        if end - start > timedelta(days=3660):
            raise serializers.ValidationError({"start": "the range may span at most 3660 days"})
        # Nothing is stored outside the contract's time range: clamp rather than fail.
        start, end = max(start, MIN_TIMESTAMP), min(end, MAX_QUERY_TIME)
        if start >= end:
            raise serializers.ValidationError({"start": "the range lies outside 2000-01-02 .. 2262-01-01"})
        attrs.update(start=start, end=end)
        attrs.setdefault("fields", list(self.default_fields))
        return attrs
