"""Assessment: health score, risk level, remaining useful life, alerts and explanations."""
