"""The steps of one assessment run over the event-time grid (``assessment.services.assessing``).

One module per step, in the order a run takes them: ``clock`` (grid arithmetic), ``series``
(read the stored points the grid points use, and staleness), ``rul`` (the hourly RUL channels),
``evidence`` (baseline-relative numbers), ``point`` (health, risk and the record of one grid
point), ``record`` (what is stored for it), ``alerts`` (alert and site-supply transitions).
"""
