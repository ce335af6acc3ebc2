"""Energy: what each machine consumes, costs and wastes, by the tariff its site pays.

Pure math (no Django): ``calendar`` (site-local time on the 30-minute block grid), ``blocks``
(integration of events into blocks), ``tariff`` (versions, validation, PF slabs), ``ledger``
(charges per block and billing month), ``summary`` (KPIs per bucket), ``healthy`` (the healthy
power model). Django: ``models``, ``services`` (rollups, tariffs), ``selectors`` (the energy
summary), ``serializers``/``views``/``urls`` (the API), ``admin``. Meaning: docs/CONTRACTS.md §18.
"""
