"""Asset registry: impossible values are refused with a message naming the field and rule."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError

from tests.factories import AssetFactory


def errors_of(obj) -> dict[str, list[str]]:
    with pytest.raises(ValidationError) as exc:
        obj.full_clean()
    return exc.value.message_dict


@pytest.mark.django_db
class TestAssetValidation:
    def test_valid_asset_passes_full_clean(self):
        AssetFactory.build(tenant=AssetFactory().tenant).full_clean()

    def test_rejects_asset_id_breaking_the_contract_pattern(self):
        asset = AssetFactory.build(tenant=AssetFactory().tenant, asset_id="-starts-with-dash")
        assert "asset_id" in errors_of(asset)

    @pytest.mark.parametrize("field", ["rated_voltage_v", "rated_current_a", "rated_power_kw", "rated_rpm"])
    def test_rejects_non_positive_ratings(self, field):
        asset = AssetFactory.build(tenant=AssetFactory().tenant, **{field: 0.0})
        assert field in errors_of(asset)

    def test_rejects_rated_power_above_what_voltage_and_current_can_deliver(self):
        # sqrt(3) * 415 V * 10 A = 7.19 kVA: a 15 kW rating is impossible.
        asset = AssetFactory.build(tenant=AssetFactory().tenant, rated_current_a=10.0, rated_power_kw=15.0)
        errs = errors_of(asset)
        assert "7.19 kVA" in errs["rated_power_kw"][0]

    def test_single_phase_uses_v_times_i_for_that_limit(self):
        # 230 V * 5 A = 1.15 kVA single-phase: 1.5 kW impossible, 1.1 kW fine.
        tenant = AssetFactory().tenant
        bad = AssetFactory.build(
            tenant=tenant, phase="single", rated_voltage_v=230, rated_current_a=5, rated_power_kw=1.5
        )
        assert "rated_power_kw" in errors_of(bad)
        AssetFactory.build(
            tenant=tenant, phase="single", rated_voltage_v=230, rated_current_a=5, rated_power_kw=1.1
        ).full_clean()

    def test_bearing_geometry_is_all_or_nothing(self):
        asset = AssetFactory.build(tenant=AssetFactory().tenant, bearing_n_balls=9)
        errs = errors_of(asset)
        assert any("all four" in m for msgs in errs.values() for m in msgs)

    def test_ball_must_be_smaller_than_pitch_diameter(self):
        asset = AssetFactory.build(
            tenant=AssetFactory().tenant,
            bearing_n_balls=9,
            bearing_ball_diameter_mm=40.0,
            bearing_pitch_diameter_mm=39.0,
            bearing_contact_angle_deg=0.0,
        )
        assert "bearing_ball_diameter_mm" in errors_of(asset)

    def test_contact_angle_above_45_degrees_is_refused(self):
        asset = AssetFactory.build(
            tenant=AssetFactory().tenant,
            bearing_n_balls=9,
            bearing_ball_diameter_mm=7.94,
            bearing_pitch_diameter_mm=39.04,
            bearing_contact_angle_deg=60.0,
        )
        assert "bearing_contact_angle_deg" in errors_of(asset)
