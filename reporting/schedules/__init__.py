"""Report schedules: a periodic task per schedule that builds the period's reports and e-mails them
(docs/CONTRACTS.md §16.5). The models are registered through `reporting.models`."""
