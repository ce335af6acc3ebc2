"""The layers contract `make lint` checks (import-linter), exhaustive over the project's apps.

import-linter's `layers` contract constrains only the packages it lists: an app missing from
the list (a new one, or one deleted from it) could import anything and be imported by
anything. `AppLayersContract` is the same contract that also fails when a root package of the
project is in no layer, unless it is named in ``outside`` (the digital twin, which its own
contract keeps independent of every app). Configured in pyproject.toml; docs/ARCHITECTURE.md
explains the layers.
"""

from __future__ import annotations

from typing import cast

import grimp
from importlinter.application import output
from importlinter.contracts.layers import LayersContract
from importlinter.domain import fields
from importlinter.domain.contract import ContractCheck


class AppLayersContract(LayersContract):
    type_name = "app_layers"

    outside = fields.SetField(subfield=fields.StringField(), required=False)

    def _get_undeclared_modules(self, graph: grimp.ImportGraph, containers: set[str]) -> set[str]:
        outside = cast(set[str], self.outside or set())
        declared = {tail.name for tail in self.all_module_tails} | outside
        return {root for root in self.session_options["root_packages"] if root not in declared}

    def render_broken_contract(self, check: ContractCheck) -> None:
        undeclared = sorted(check.metadata["undeclared_modules"])
        check.metadata["undeclared_modules"] = set()
        super().render_broken_contract(check)
        if undeclared:
            output.print("These apps are in no layer (list each in `layers`, or in `outside`):")
            output.new_line()
            for module in undeclared:
                output.print_error(f"- {module}", bold=False)
            output.new_line()
