"""Analytics: past-only features, healthy baselines and anomaly scores."""
