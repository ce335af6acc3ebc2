"""Per-asset threshold overrides (docs/CONTRACTS.md §3.3): impossible values are refused with a
message naming the field and the rule, as the admin form and every other entry point show."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError

from assessment.models import AssetThresholds
from tests.factories import AssetFactory


def errors_of(obj) -> dict[str, list[str]]:
    with pytest.raises(ValidationError) as exc:
        obj.full_clean()
    return exc.value.message_dict


@pytest.mark.django_db
class TestThresholdOverrides:
    def test_warning_temperature_must_be_below_limit(self):
        t = AssetThresholds(asset=AssetFactory(), temperature_warn_c=90, temperature_limit_c=80)
        assert "temperature_warn_c" in errors_of(t)

    def test_zone_boundaries_must_increase(self):
        t = AssetThresholds(
            asset=AssetFactory(),
            vibration_zone_ab_mm_s=2.8,
            vibration_zone_bc_mm_s=1.4,
            vibration_zone_cd_mm_s=4.5,
        )
        assert "increase" in errors_of(t)["vibration_zone_ab_mm_s"][0]

    def test_partial_zone_boundaries_are_refused(self):
        t = AssetThresholds(asset=AssetFactory(), vibration_zone_ab_mm_s=2.8)
        assert "all three" in errors_of(t)["vibration_zone_ab_mm_s"][0]

    def test_power_factor_limit_outside_range_is_refused(self):
        t = AssetThresholds(asset=AssetFactory(), power_factor_limit=1.2)
        assert "power_factor_limit" in errors_of(t)

    def test_temperature_rise_limit_outside_range_is_refused(self):
        t = AssetThresholds(asset=AssetFactory(), temperature_rise_excess_limit_k=8.0)
        assert "between 15 and 100" in errors_of(t)["temperature_rise_excess_limit_k"][0]

    @pytest.mark.parametrize(
        ("weights", "words"),
        [
            ({"vibraton": 1.0}, "unknown component(s) vibraton"),
            ({"vibration": 2.5}, "between 0 and 2"),
            ({"vibration": -0.1}, "between 0 and 2"),
            ({"vibration": "1"}, "between 0 and 2"),
            ({"vibration": True}, "between 0 and 2"),
            ([1.0], "must be an object"),
        ],
    )
    def test_health_weights_name_known_components_with_weights_0_to_2(self, weights, words):
        t = AssetThresholds(asset=AssetFactory(), health_weights=weights)
        assert words in errors_of(t)["health_weights"][0]

    def test_valid_rise_limit_and_weights_pass(self):
        t = AssetThresholds(
            asset=AssetFactory(), temperature_rise_excess_limit_k=20.0, health_weights={"temperature_rise": 0}
        )
        t.full_clean()
